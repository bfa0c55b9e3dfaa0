#!/bin/sh
# Entry point of the test-bed node images: prepares what a real kubelet needs inside an
# unprivileged systemd container, then hands over to systemd (PID 1).
set -eu

# cgroup v1 with cgroupns=host: /proc/self/cgroup names /docker/<id> while the kubelet looks at
# the top of each hierarchy. Bind the container's own cgroup over the hierarchy root and the
# root back onto the nested path, so both paths name the same directory (what kind does).
if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
  while IFS=: read -r _ controllers path; do
    if [ -z "$path" ] || [ "$path" = "/" ]; then continue; fi
    case "$controllers" in
      "") dir=unified ;;
      name=systemd) dir=systemd ;;
      *) dir=$(printf '%s' "$controllers" | sed 's/^name=//') ;;
    esac
    root="/sys/fs/cgroup/$dir"
    # Combined hierarchies are mounted as e.g. cpu,cpuacct with cpu and cpuacct as links.
    if [ ! -d "$root" ] || [ -L "$root" ]; then continue; fi
    [ -d "$root$path" ] || continue
    mountpoint -q "$root" 2>/dev/null || continue
    mount --bind "$root$path" "$root"
    mkdir -p "$root$path"
    mount --bind "$root" "$root$path"
  done < /proc/self/cgroup

  # Docker makes a cgroup for the container only in the hierarchies the host has mounted; the
  # others (perf_event, hugetlb, net_cls,net_prio here) are mounted by systemd inside each node
  # and would be one cgroup shared by every node container, each kubelet seeing the others'
  # pods there. Mount them here (grouped as systemd groups them), give the container its own
  # cgroup in each, and bind it over the root the same way.
  own=$(sed -n 's/^[0-9]*:cpu[^:]*:\(\/.\+\)$/\1/p' /proc/self/cgroup | sed -n 1p)
  if [ -n "$own" ]; then
    mount -o remount,rw /sys/fs/cgroup
    awk '$4 == 1 { print $1 }' /proc/cgroups | sed '/^net_prio$/d; s/^net_cls$/net_cls,net_prio/' > /run/kubeadm-testbed-controllers
    while read -r controllers; do
      root="/sys/fs/cgroup/$controllers"
      if grep -q "^[0-9]*:$controllers:/.\+" /proc/self/cgroup; then continue; fi
      mkdir -p "$root"
      mountpoint -q "$root" || mount -t cgroup -o "$controllers" cgroup "$root"
      mkdir -p "$root$own"
      echo $$ > "$root$own/cgroup.procs"
      mount --bind "$root$own" "$root"
      mkdir -p "$root$own"
      mount --bind "$root" "$root$own"
    done < /run/kubeadm-testbed-controllers
    mount -o remount,ro /sys/fs/cgroup
  fi
fi

# The kubelet writes these host-global sysctls when it can; /proc/sys is read-only here, so
# give it files that already hold the values it wants instead of ever touching the host.
mkdir -p /run/kubeadm-testbed
for pair in vm/overcommit_memory=1 kernel/panic=10 kernel/panic_on_oops=1; do
  key=${pair%%=*}
  file=/run/kubeadm-testbed/$(printf '%s' "$key" | tr / _)
  printf '%s\n' "${pair#*=}" > "$file"
  mount --bind -o ro "$file" "/proc/sys/$key" 2>/dev/null || true
done

exec /lib/systemd/systemd "$@"
