#!/usr/bin/env bash
# Prints one line saying whether the lab's Keystone (/v3) and Glance (/versions)
# answer; exits 0 when both do, 1 otherwise.  Same settings as start.sh
# (LAB_HOST, KS_PORT, GL_PORT).  Also reachable as: bash start.sh --status
set -uo pipefail
HOST=${LAB_HOST:-127.0.0.1}
KS_PORT=${KS_PORT:-5000}
GL_PORT=${GL_PORT:-9292}
KS_URL="http://$HOST:$KS_PORT/v3"
GLANCE_URL="http://$HOST:$GL_PORT"

answers() { # url -> 0 when it answers with a 2xx
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 5 -o /dev/null "$1" 2>/dev/null
  else
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5).read()
PY
  fi
}

ks=down gl=down
answers "$KS_URL" && ks=up
answers "$GLANCE_URL/versions" && gl=up
if [ $ks = up ] && [ $gl = up ]; then
  echo "lab up: keystone $KS_URL up, glance $GLANCE_URL up"
  exit 0
fi
echo "lab down: keystone $KS_URL $ks, glance $GLANCE_URL $gl"
exit 1
