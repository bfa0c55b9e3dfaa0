"""What a user checks on a node after node_prep + containerd."""

from __future__ import annotations

import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("k8s_nodes")


def test_kernel_modules_load_at_boot(host):
    conf = host.file("/etc/modules-load.d/k8s.conf")
    assert conf.is_file
    assert conf.mode == 0o644
    assert {"overlay", "br_netfilter"} <= set(conf.content_string.split())


def test_kernel_modules_are_present(host):
    # br_netfilter built into the kernel has no /sys/module entry; its sysctls show it is active.
    assert host.file("/proc/sys/net/bridge/bridge-nf-call-iptables").exists
    assert "overlay" in host.file("/proc/filesystems").content_string.split()


def test_sysctls_are_persisted(host):
    lines = {line.strip() for line in host.file("/etc/sysctl.d/99-kubernetes.conf").content_string.splitlines()}
    assert {
        "net.bridge.bridge-nf-call-iptables = 1",
        "net.bridge.bridge-nf-call-ip6tables = 1",
        "net.ipv4.ip_forward = 1",
    } <= lines


def test_sysctls_hold_live(host):
    for name in ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.ipv4.ip_forward"):
        assert host.sysctl(name) == 1, name


def test_no_swap_active_or_configured(host):
    assert host.check_output("swapon --show=NAME --noheadings").strip() == ""
    fstab = host.file("/etc/fstab")
    if fstab.exists:
        for line in fstab.content_string.splitlines():
            fields = line.split()
            assert not (fields and not fields[0].startswith("#") and len(fields) > 2 and fields[2] == "swap"), line


def test_containerd_runs_and_is_enabled(host):
    service = host.service("containerd")
    assert service.is_running
    assert service.is_enabled


def test_containerd_uses_the_systemd_cgroup_driver(host):
    dump = host.check_output("containerd config dump")
    assert "SystemdCgroup = true" in dump
    assert "restrict_oom_score_adj = true" in dump
    assert 'sandbox_image = "registry.k8s.io/pause:3.9"' in dump


def test_crictl_points_at_containerd(host):
    content = host.file("/etc/crictl.yaml").content_string
    assert "runtime-endpoint: unix:///run/containerd/containerd.sock" in content
    assert "image-endpoint: unix:///run/containerd/containerd.sock" in content


def test_the_daemon_answers(host):
    out = host.check_output("ctr version")
    assert "Server:" in out
    assert "Revision:" in out.split("Server:")[1]


def test_config_schema_suits_the_distribution_containerd(host):
    # Debian 12 ships containerd 1.6, Debian 13 1.7 (KUBEADM_TESTBED_SUITE); both read schema version 2.
    os_release = dict(line.split("=", 1) for line in host.file("/etc/os-release").content_string.splitlines() if "=" in line)
    version = host.check_output("containerd --version").split()[2]
    expected = {'"12"': "1.6.", '"13"': "1.7."}.get(os_release.get("VERSION_ID", ""))
    if expected:
        assert version.startswith(expected), (os_release.get("VERSION_ID"), version)
    schema = 3 if int(version.split(".")[0]) >= 2 else 2
    assert f"version = {schema}" in host.file("/etc/containerd/config.toml").content_string.splitlines()
