#!/usr/bin/env bash
# Runs a command while every core is kept busy by a spinning process at the same priority: the suite must hold
# on a busy machine (issue 17). CPU_HOG=0 runs the command alone (`.ci/run` does unless CPU_HOG=1).
set -euo pipefail
hogs=()
stop_hogs() { [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true; }
trap stop_hogs EXIT
if [ "${CPU_HOG:-1}" != 0 ]; then
  for _ in $(seq "$(nproc)"); do
    node -e 'for (;;);' &
    hogs+=($!)
  done
  echo "cpu hog: ${#hogs[@]} spinning processes (one per core) while: $*"
fi
started=$(date +%s)
status=0
"$@" || status=$?
echo "$([ ${#hogs[@]} -gt 0 ] && echo 'cpu hog' || echo 'no cpu hog'): '$*' took $(($(date +%s) - started)) s, exit $status"
exit "$status"
