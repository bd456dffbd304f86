# What the keeper tiers (test-keeper*.sh) share, on top of libvirt-env.sh.
inactive() { lv_virsh dumpxml --inactive "$1" 2>/dev/null; }
state() { lv_virsh domstate "$1" 2>&1 | head -n 1; }
keeper_log() { grep 'vgpu-keeper' "$LV_WORK/syslog.log" 2>/dev/null; }
# t_log NAME REGEX: the keeper logged a line matching REGEX (waited for: the
# syslog listener writes it after the keeper sent it)
t_log() { t_match "$1" "$2" "$(lv_syslog_for "$2" vgpu-keeper)"; }
# wait_for SECONDS CMD...: poll until CMD succeeds; 1 after SECONDS
wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.05
    done
}
