"""kube-sim as a cluster: init, tokens, join, readiness, apply, rejoin (tests run in file order)."""

from __future__ import annotations

import json
import re
import stat
import time

import yaml
from conftest import GRACE, alive, kubelet_pid, make_root, openssl_pin, run, stop_kubelet, wait_for

TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")


def token_objects(text: str) -> list[dict]:
    """kubeadm's `token list -o json`: objects one after another, not an array."""
    decoder, objects, pos = json.JSONDecoder(), [], 0
    text = text.strip()
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        objects.append(obj)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return objects


def test_init_join_command_carries_the_openssl_pin(cluster):
    assert cluster.pin == openssl_pin(cluster.cp / "etc/kubernetes/pki/ca.crt")
    assert TOKEN.match(cluster.token)
    assert f"kubeadm join 127.0.0.1:{cluster.port} --token {cluster.token}" in cluster.init.stdout


def test_reinit_is_refused_with_kubeadms_preflight_errors(cluster):
    result = cluster.kubeadm("init", "--config", "/init.yaml")
    assert result.returncode == 1
    err = result.stderr
    assert "error execution phase preflight: [preflight] Some fatal errors occurred:" in err
    assert "\t[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists" in err
    assert "\t[ERROR DirAvailable--var-lib-etcd]: /var/lib/etcd is not empty" in err
    assert f"\t[ERROR Port-{cluster.port}]: Port {cluster.port} is in use" in err
    assert "[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`" in err.splitlines()
    assert err.rstrip().endswith("To see the stack trace of this error execute with --v=5 or higher")


def test_token_create_prints_only_the_token(cluster):
    result = cluster.kubeadm("token", "create", "--ttl", "10m", "--description", "probe token", "--kubeconfig", "/etc/kubernetes/admin.conf")
    assert result.returncode == 0, result.stderr
    assert TOKEN.match(result.stdout.rstrip("\n")), result.stdout
    assert result.stdout.count("\n") == 1


def test_token_list_json_is_concatenated_objects_of_the_reference_shape(cluster):
    probe = cluster.kubeadm("token", "create", "--ttl", "10m", "--description", "probe token").stdout.strip()
    bare = cluster.kubeadm("token", "create", "--ttl", "1h").stdout.strip()
    result = cluster.kubeadm("token", "list", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert not result.stdout.lstrip().startswith("[")
    objects = {o["token"]: o for o in token_objects(result.stdout)}
    assert len(objects) >= 3  # the init token, probe and bare
    assert list(objects[probe]) == ["kind", "apiVersion", "token", "description", "expires", "usages", "groups"]
    assert objects[probe]["description"] == "probe token"
    assert "description" not in objects[bare]
    for obj in (objects[probe], objects[bare]):
        assert obj["kind"] == "BootstrapToken"
        assert obj["apiVersion"] == "output.kubeadm.k8s.io/v1alpha2"
        assert obj["usages"] == ["authentication", "signing"]
        assert obj["groups"] == ["system:bootstrappers:kubeadm:default-node-token"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", obj["expires"])


def test_token_delete(cluster):
    token = cluster.kubeadm("token", "create").stdout.strip()
    tid = token.split(".")[0]
    result = cluster.kubeadm("token", "delete", tid)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f'bootstrap token "{tid}" deleted\n'
    assert token not in cluster.kubeadm("token", "list", "-o", "json").stdout
    missing = cluster.kubeadm("token", "delete", tid)
    assert missing.returncode == 1
    assert missing.stderr.splitlines()[0] == f'failed to delete bootstrap token "{tid}": secrets "bootstrap-token-{tid}" not found'


def test_join_with_a_wrong_ca_pin_fails_at_once(cluster, tmp_path_factory):
    root = make_root(tmp_path_factory, "badpin")
    start = time.time()
    result = cluster.join(root, "sim-badpin", pins=["sha256:" + "0" * 64])
    assert result.returncode == 1
    assert time.time() - start < 5
    expected = (
        "error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info "
        f'ConfigMap is invalid: none of the public keys "{openssl_pin(cluster.cp / "etc/kubernetes/pki/ca.crt")}" are pinned'
    )
    assert expected in result.stderr.splitlines()
    assert not (root / "etc/kubernetes/kubelet.conf").exists()
    assert kubelet_pid(root) is None


def test_expired_token_vanishes_and_join_retries_until_discovery_timeout(cluster, tmp_path_factory):
    token = cluster.kubeadm("token", "create", "--ttl", "2s").stdout.strip()
    tid = token.split(".")[0]
    assert token in cluster.kubeadm("token", "list", "-o", "json").stdout
    time.sleep(3)
    assert token not in cluster.kubeadm("token", "list", "-o", "json").stdout
    root = make_root(tmp_path_factory, "expired")
    start = time.time()
    result = cluster.join(root, "sim-expired", token=token, timeout="6s")
    elapsed = time.time() - start
    assert result.returncode == 1
    retry = f'The cluster-info ConfigMap does not yet contain a JWS signature for token ID "{tid}", will try again'
    assert result.stdout.count(retry) >= 2, result.stdout
    assert 4 < elapsed < 15
    assert f'token ID "{tid}"' in result.stderr
    assert not (root / "etc/kubernetes/kubelet.conf").exists()


def test_join_writes_credentials_and_waits_for_cni(cluster):
    conf = cluster.worker / "etc/kubernetes/kubelet.conf"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    assert (cluster.worker / "etc/kubernetes/pki/ca.crt").read_bytes() == (cluster.cp / "etc/kubernetes/pki/ca.crt").read_bytes()
    kubeconfig = yaml.safe_load(conf.read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://127.0.0.1:{cluster.port}"
    assert alive(kubelet_pid(cluster.worker))

    ready = cluster.ready("sim-w1")
    assert ready is not None
    assert ready["status"] == "False"
    assert "cni plugin not initialized" in ready["message"]
    time.sleep(1)  # several heartbeats: without a CNI config it stays NotReady
    assert cluster.ready("sim-w1")["status"] == "False"

    (cluster.worker / "etc/cni/net.d").mkdir(parents=True, exist_ok=True)
    (cluster.worker / "etc/cni/net.d/10-x.conflist").write_text('{"cniVersion": "0.3.1", "name": "x", "plugins": [{"type": "bridge"}]}\n')
    assert wait_for(lambda: cluster.ready("sim-w1")["status"] == "True", timeout=10)
    assert cluster.ready("sim-cp")["status"] == "False"  # its own net.d is still empty


def daemonset(name: str, cni_mount: bool = True, image: str = "example.org/cni:v1") -> dict:
    volumes = [{"name": "cni-net-dir", "hostPath": {"path": "/etc/cni/net.d"}}] if cni_mount else []
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "install", "image": image}], "volumes": volumes}},
        },
    }


def test_cni_daemonset_apply_and_get(cluster, tmp_path):
    manifest = tmp_path / "cni.yaml"
    manifest.write_text(yaml.safe_dump(daemonset("simnet")))
    first = cluster.kubectl("apply", "-f", str(manifest))
    assert (first.returncode, first.stdout) == (0, "daemonset.apps/simnet created\n"), first.stderr
    conflist = cluster.cp / "etc/cni/net.d/10-simnet.conflist"
    assert wait_for(conflist.exists, timeout=10)
    assert json.loads(conflist.read_text())["plugins"][0]["type"] == "simnet"
    assert wait_for((cluster.worker / "etc/cni/net.d/10-simnet.conflist").exists, timeout=10)
    assert wait_for(lambda: cluster.ready("sim-cp")["status"] == "True", timeout=10)

    again = cluster.kubectl("apply", "-f", str(manifest))
    assert again.stdout == "daemonset.apps/simnet unchanged\n"
    manifest.write_text(yaml.safe_dump(daemonset("simnet", image="example.org/cni:v2")))
    changed = cluster.kubectl("apply", "-f", str(manifest))
    assert changed.stdout == "daemonset.apps/simnet configured\n"

    found = cluster.kubectl("get", "-f", str(manifest), "-o", "name")
    assert (found.returncode, found.stdout) == (0, "daemonset.apps/simnet\n")
    partial = tmp_path / "partial.yaml"
    partial.write_text(yaml.safe_dump_all([daemonset("simnet", image="example.org/cni:v2"), daemonset("absent")]))
    missing = cluster.kubectl("get", "-f", str(partial), "-o", "name")
    assert missing.returncode == 1
    assert "daemonset.apps/simnet" in missing.stdout
    assert '"absent" not found' in missing.stderr


def test_daemonset_without_cni_mount_writes_no_conflist(cluster, tmp_path):
    manifest = tmp_path / "plain.yaml"
    manifest.write_text(yaml.safe_dump(daemonset("plainds", cni_mount=False)))
    assert cluster.kubectl("apply", "-f", str(manifest)).stdout == "daemonset.apps/plainds created\n"
    time.sleep(1)
    assert not (cluster.cp / "etc/cni/net.d/10-plainds.conflist").exists()


def test_rejoin_of_a_ready_node_name_is_refused_until_deleted_and_reset(cluster, tmp_path_factory):
    assert cluster.ready("sim-w1")["status"] == "True"
    twin = make_root(tmp_path_factory, "twin")  # a reinstalled machine with the same name
    refused = cluster.join(twin, "sim-w1")
    assert refused.returncode == 1
    assert 'a Node with name "sim-w1" and status "Ready" already exists in the cluster' in refused.stderr
    assert kubelet_pid(twin) is None

    deleted = cluster.kubectl("delete", "node", "sim-w1")
    assert (deleted.returncode, deleted.stdout) == (0, 'node "sim-w1" deleted\n')
    # A running kubelet registers once, as the real one does: a Node deleted from the cluster
    # stays gone until the kubelet restarts (the role's "cluster forgot the node" state).
    time.sleep(1.5)
    assert "sim-w1" not in cluster.nodes()

    old_pid = kubelet_pid(cluster.worker)
    reset = run("kubeadm", "reset", "-f", root=cluster.worker)
    assert reset.returncode == 0, reset.stderr
    assert not (cluster.worker / "etc/kubernetes/kubelet.conf").exists()
    assert list((cluster.worker / "var/lib/kubelet").iterdir()) == []
    assert wait_for(lambda: not alive(old_pid), timeout=5)

    rejoined = cluster.join(cluster.worker, "sim-w1")
    assert rejoined.returncode == 0, rejoined.stdout + rejoined.stderr
    assert "This node has joined the cluster" in rejoined.stdout
    assert wait_for(lambda: (cluster.ready("sim-w1") or {}).get("status") == "True", timeout=10)


def test_upload_certs_and_control_plane_join(cluster, tmp_path_factory):
    result = cluster.kubeadm("init", "phase", "upload-certs", "--upload-certs", "--kubeconfig", "/etc/kubernetes/admin.conf")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    index = lines.index("[upload-certs] Using certificate key:")
    key = lines[index + 1]
    assert re.fullmatch(r"[0-9a-f]{64}", key)

    cp2 = make_root(tmp_path_factory, "cp2")
    wrong = cluster.join(cp2, "sim-cp2", certificate_key="f" * 64 if key != "f" * 64 else "e" * 64)
    assert wrong.returncode == 1
    assert "message authentication failed" in wrong.stderr
    assert not (cp2 / "etc/kubernetes/pki/ca.key").exists()
    assert kubelet_pid(cp2) is None

    right = cluster.join(cp2, "sim-cp2", certificate_key=key)
    assert right.returncode == 0, right.stdout + right.stderr
    assert (cp2 / "etc/kubernetes/pki/ca.key").read_bytes() == (cluster.cp / "etc/kubernetes/pki/ca.key").read_bytes()
    assert (cp2 / "etc/kubernetes/admin.conf").exists()
    node = wait_for(lambda: cluster.nodes().get("sim-cp2"), timeout=10)
    assert "node-role.kubernetes.io/control-plane" in node["metadata"]["labels"]
    stop_kubelet(cp2)


def test_a_silent_node_turns_unknown_after_the_grace_period(cluster):
    assert cluster.ready("sim-w1")["status"] == "True"
    stop_kubelet(cluster.worker)  # as `systemctl stop kubelet` would
    stopped = time.time()
    time.sleep(GRACE / 2)
    assert cluster.ready("sim-w1")["status"] == "True"
    ready = wait_for(lambda: (c := cluster.ready("sim-w1"))["status"] == "Unknown" and c, timeout=GRACE + 5)
    assert ready, cluster.ready("sim-w1")
    assert time.time() - stopped >= GRACE - 0.5
    assert ready["reason"] == "NodeStatusUnknown"
    assert ready["message"] == "Kubelet stopped posting node status."
