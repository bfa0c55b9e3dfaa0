# Sourced: the docker run options of a test-bed node, the one place they are spelled out for
# shell users (the molecule create playbook mirrors them). --privileged fails on our machines,
# so capabilities are listed; see ../shared/TESTBED.md.
# shellcheck shell=bash
KUBEADM_TESTBED_CAPS=(SYS_ADMIN NET_ADMIN SYS_PTRACE SYS_MODULE SYS_TIME NET_RAW SYS_CHROOT MKNOD
  AUDIT_WRITE SETFCAP IPC_LOCK SYS_NICE SYS_RAWIO DAC_READ_SEARCH LINUX_IMMUTABLE SYSLOG)
kubeadm_testbed_node_options() {
  local name=$1 cap
  for cap in "${KUBEADM_TESTBED_CAPS[@]}"; do printf -- '--cap-add\n%s\n' "$cap"; done
  printf -- '%s\n' --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns host --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    -v "$name-var:/var" --device /dev/kmsg --device-cgroup-rule 'a *:* rwm' \
    --sysctl net.ipv4.ip_forward=1 --sysctl net.bridge.bridge-nf-call-iptables=1 \
    --sysctl net.bridge.bridge-nf-call-ip6tables=1 --stop-signal SIGRTMIN+3
}
