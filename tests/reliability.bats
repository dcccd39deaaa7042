#!/usr/bin/env bats
# Reliability suite: the genl fuzzer, concurrency stress, fault injection
# and bad input across the CLI boundary (issue 8, "Attack it").
#
# Runs inside the test VM (tests/vm/), as root. Every test starts with dibs,
# dibs_loopback ("lo") and dibs_sim loaded and ends with every dibs module
# unloaded (teardown fails the test when an unload fails) and a clean
# kernel log. Tests that must leave nothing behind compare a snapshot
# (`dev show`, `dmb show`, `client show`) taken before with one taken after.
#
# Knobs: DIBS_FUZZ_COUNT (messages over the four fuzz tests; default 20000
# on the newest Debian kernel, 10000 on older ones, 30000 on the debug
# kernel, recognised by /sys/kernel/debug/kmemleak),
# DIBS_FUZZ_SEED (a fixed seed for every fuzz run), DIBS_STRESS_SECONDS
# (default 30; 15 on older Debian kernels, 45 on the debug kernel).
# Figures (messages fuzzed, stress operations, injected faults) go to the
# TAP output as comments.

load lib/dibs

FUZZ=$DIBS_REPO/tests/fuzz/dibs-genl-fuzz.py
SIM_DEBUGFS=/sys/kernel/debug/dibs_sim
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)

# The debug kernel sees the most; the newest Debian kernel the usual dose;
# an older one (6.1) half of it, for CI time: what differs there is the
# compat layer, which the first messages and seconds reach as well.
if dibs_on_debug_kernel; then
	FUZZ_TOTAL=${DIBS_FUZZ_COUNT:-30000}
	STRESS_SECONDS=${DIBS_STRESS_SECONDS:-45}
elif dibs_on_newest_kernel; then
	FUZZ_TOTAL=${DIBS_FUZZ_COUNT:-20000}
	STRESS_SECONDS=${DIBS_STRESS_SECONDS:-30}
else
	FUZZ_TOTAL=${DIBS_FUZZ_COUNT:-10000}
	STRESS_SECONDS=${DIBS_STRESS_SECONDS:-15}
fi

# ---- helpers ---------------------------------------------------------------

# snapshot: every count an object dump shows, as one text.
snapshot() {
	printf '%s\n' "dev show" "dmb show" "client show" >"$BATS_TEST_TMPDIR/snap.b"
	"$DIBSCTL" -b "$BATS_TEST_TMPDIR/snap.b"
}

# same_snapshot BEFORE: the snapshot now is BEFORE.
same_snapshot() {
	local now
	now=$(snapshot) || return 1
	[ "$now" = "$1" ] || {
		echo "the counts changed; before:" >&2
		echo "$1" >&2
		echo "after:" >&2
		echo "$now" >&2
		return 1
	}
}

# fuzz_run COUNT [FUZZER ARG...]: the fuzzer, run by "${FUZZ_PREFIX[@]}"
# (e.g. setpriv); checks its first and last lines and notes the figures.
FUZZ_PREFIX=()
fuzz_run() {
	local count=$1 seed rc=0 last
	shift
	seed=${DIBS_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	"${FUZZ_PREFIX[@]}" python3 "$FUZZ" --count "$count" --seed "$seed" "$@" \
		>"$BATS_TEST_TMPDIR/fuzz.out" 2>"$BATS_TEST_TMPDIR/fuzz.err" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "fuzzer exited $rc (seed $seed):" >&2
		tail -n 20 "$BATS_TEST_TMPDIR/fuzz.out" "$BATS_TEST_TMPDIR/fuzz.err" >&2
		return 1
	fi
	[ ! -s "$BATS_TEST_TMPDIR/fuzz.err" ] ||
		{ echo "fuzzer stderr:" >&2; cat "$BATS_TEST_TMPDIR/fuzz.err" >&2; return 1; }
	expect_eq "first line" "$(head -n 1 "$BATS_TEST_TMPDIR/fuzz.out")" "seed $seed"
	last=$(tail -n 1 "$BATS_TEST_TMPDIR/fuzz.out")
	[[ $last =~ ^fuzz:\ ([0-9]+)\ messages,\ ([0-9]+)\ errors\ answered,\ ([0-9]+)\ replies,\ seed\ $seed$ ]] ||
		{ echo "last line: '$last'" >&2; return 1; }
	FUZZ_MSGS=${BASH_REMATCH[1]}
	FUZZ_ERRS=${BASH_REMATCH[2]}
	FUZZ_REPLIES=${BASH_REMATCH[3]}
	((FUZZ_MSGS >= count)) || { echo "only $FUZZ_MSGS of $count messages" >&2; return 1; }
	# A fuzzer that is refused everything or answered nothing tests little.
	((FUZZ_ERRS > count / 10 && FUZZ_REPLIES > 0)) ||
		{ echo "errors $FUZZ_ERRS, replies $FUZZ_REPLIES of $FUZZ_MSGS" >&2; return 1; }
	FUZZ_ERRNOS=$(sed -n 's/^errnos //p' "$BATS_TEST_TMPDIR/fuzz.out")
	note "$last; $(sed -n 's/^notifications //p' "$BATS_TEST_TMPDIR/fuzz.out")"
	note "errnos $FUZZ_ERRNOS"
}

# unload_clean: every module unloads now (not only in teardown).
unload_clean() {
	rmmod dibs_sim && rmmod dibs_loopback && rmmod dibs
	[ ! -d /sys/module/dibs ]
}

# py NAME: a helper script of this suite, written into the test's tmpdir.
# Every one loads the fuzzer as a module for its netlink plumbing.
py_prelude() {
	cat <<EOF
import errno, importlib.util, os, random, struct, sys, time
_s = importlib.util.spec_from_file_location('fz', '$FUZZ')
fz = importlib.util.module_from_spec(_s)
_s.loader.exec_module(fz)
spec = fz.Spec('$DIBS_REPO/uapi/linux/dibs.h', '$DIBS_REPO/uapi/dibs.yaml')
F = fz.NLM_F_REQUEST | fz.NLM_F_ACK

def conn():
    c = fz.Conn()
    c.fid, _ = fz.resolve_family(c, 'dibs')
    return c

def body(setname, **kw):
    out = b''
    for k, v in kw.items():
        a = spec.sets[setname][k.replace('_', '-')]
        t = a['type']
        if t == 'u32':
            v = struct.pack('=I', v)
        elif t == 'u16':
            v = struct.pack('=H', v)
        elif t == 'u64':
            v = struct.pack('=Q', v)
        elif t == 'string':
            v = v.encode() + b'\0'
        elif t == 'flag':
            v = b''
        out += fz.nla(a['num'], v)
    return out

def req(c, op, setname=None, dump=False, **kw):
    o = spec.ops[op]
    payload = struct.pack('=BBH', o['num'], 1, 0) + body(setname or o['set'], **kw)
    return c.request(c.fid, fz.NLM_F_REQUEST | (fz.NLM_F_DUMP if dump else fz.NLM_F_ACK), payload)

def attrs(m, setname):
    return {spec.set_nums[setname][t & fz.NLA_TYPE_MASK]['name']: v
            for t, v in fz.attrs_of(m['payload'], 4)}

def devs(c):
    out = {}
    for m in req(c, 'dev-get', dump=True):
        a = attrs(m, 'dev')
        out[a['name'].rstrip(b'\0').decode()] = {
            'index': struct.unpack('=I', a['index'])[0], 'gid': a['gid'],
            'fabric': struct.unpack('=H', a['fabric-id'])[0],
            'state': struct.unpack('=I', a['state'])[0]}
    return out

def dmbs(c):
    out = {}
    for m in req(c, 'dmb-get', dump=True):
        a = attrs(m, 'dmb')
        st = {spec.set_nums['dmb-stats'][t & fz.NLA_TYPE_MASK]['name']: v
              for t, v in fz.attrs_of(a['stats'])}
        out[struct.unpack('=Q', a['token'])[0]] = {
            'dev': struct.unpack('=I', a['dev-index'])[0],
            'len': struct.unpack('=I', a['len'])[0], 'rgid': a['rgid'],
            'writes': struct.unpack('=Q', st['writes'])[0]}
    return out
EOF
}

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	unload_dibs
	dibs_mark
	load_dibs
	dibs_insmod dibs_sim
	PIDS=()
	NETNS=''
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local pid
	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
	dibs_unload_and_check dibs_sim dibs_loopback dibs
}

# ---- the fuzzer ------------------------------------------------------------

@test "fuzz: root, the devices that are there" {
	local before
	before=$(snapshot)
	fuzz_run $((FUZZ_TOTAL * 3 / 10))
	# Answers of every kind came back.
	[[ $FUZZ_ERRNOS == *EINVAL:* && $FUZZ_ERRNOS == *ENOTSUP:* ]]
	same_snapshot "$before"
	unload_clean
}

@test "fuzz: root, with sim and loopback devices and DMBs to hit" {
	local before
	before=$(snapshot)
	fuzz_run $((FUZZ_TOTAL * 3 / 10)) --devices
	# Lookups of devices and DMBs were answered.
	[[ $FUZZ_ERRNOS == *EINVAL:* && $FUZZ_ERRNOS == *ENODEV:* && $FUZZ_ERRNOS == *ENOENT:* ]]
	same_snapshot "$before"
	unload_clean
}

@test "fuzz: unprivileged (--unpriv), with devices: admin ops always EPERM" {
	local before
	before=$(snapshot)
	fuzz_run $((FUZZ_TOTAL * 2 / 10)) --unpriv --devices
	[[ $FUZZ_ERRNOS == *EPERM:* ]]
	same_snapshot "$before"
	unload_clean
}

@test "fuzz: as nobody from the start (setpriv), no devices" {
	local before
	before=$(snapshot)
	FUZZ_PREFIX=("${NOBODY[@]}")
	fuzz_run $((FUZZ_TOTAL * 2 / 10))
	[[ $FUZZ_ERRNOS == *EPERM:* ]]
	same_snapshot "$before"
	unload_clean
}

# ---- concurrency stress ----------------------------------------------------

# stress_worker: grants, writes with signals, reads and revokes on whatever
# sim devices exist, until $STOP exists; then revokes what it still holds.
# Refusals a changing world gives are fine (device gone, down, moved;
# DMB gone); anything else, a malformed answer or a crash is not.
stress_worker_py() {
	py_prelude
	cat <<'EOF'
stop, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
ok_errs = {errno.ENODEV, errno.ENOENT, errno.EACCES, errno.ENETDOWN,
           errno.EHOSTUNREACH, errno.ENOLINK, errno.ESHUTDOWN, errno.EINVAL,
           errno.ENOSPC, errno.EBUSY}
c = conn()
mine = {}
ops = refused = 0
hist = {}
d = {}
while not os.path.exists(stop):
    try:
        if ops % 16 == 0:
            d = {n: v for n, v in devs(c).items() if n.startswith(('A', 'C'))}
        if not d:
            time.sleep(0.05)
            ops += 1
            continue
        names = list(d)
        k = rng.random()
        ops += 1
        if k < 0.3 or not mine:
            a, b = rng.choice(names), rng.choice(names)
            kw = dict(dev_index=d[a]['index'], len=rng.choice([64, 4096, 65536]))
            payload = body('dmb', **kw) + fz.nla(spec.sets['dmb']['rgid']['num'], d[b]['gid'])
            if rng.random() < 0.3:
                payload += fz.nla(spec.sets['dmb']['owned']['num'], b'')
            r = c.request(c.fid, F, struct.pack('=BBH', spec.ops['dmb-grant']['num'], 1, 0) + payload)
            g = attrs(r[0], 'dmb')
            if 'owned' not in g:
                mine[struct.unpack('=Q', g['token'])[0]] = (d[a]['index'], b, struct.unpack('=I', g['len'])[0])
        else:
            tok = rng.choice(list(mine))
            dev, writer, ln = mine[tok]
            if k < 0.7:
                w = d.get(writer, {'index': dev})['index']
                kw = dict(dev_index=w, token=tok, offset=rng.randrange(ln - 8))
                if rng.random() < 0.5:
                    kw['signal_idx'] = rng.randrange(16)
                payload = struct.pack('=BBH', spec.ops['dmb-write']['num'], 1, 0) + body('dmb', **kw) + \
                    fz.nla(spec.sets['dmb']['data']['num'], os.urandom(8))
                c.request(c.fid, F, payload)
            elif k < 0.85:
                req(c, 'dmb-read', dev_index=dev, token=tok, offset=0, len=min(ln, 4096))
            else:
                try:
                    req(c, 'dmb-revoke', dev_index=dev, token=tok)
                except OSError as e:
                    if e.errno != errno.ENOENT:
                        raise       # device away for now: try again later
                del mine[tok]
    except OSError as e:
        if e.errno not in ok_errs:
            print('worker %d: errno %d (%s)' % (seed, e.errno, e.strerror), file=sys.stderr)
            sys.exit(1)
        refused += 1
        hist[e.errno] = hist.get(e.errno, 0) + 1
# the end: revoke what is left, wherever it is now
left = 0
for tok, (dev, _, _) in mine.items():
    try:
        req(c, 'dmb-revoke', dev_index=dev, token=tok)
    except OSError as e:
        if e.errno not in (errno.ENODEV, errno.ENOENT):
            print('worker %d: revoke at the end: %s' % (seed, e), file=sys.stderr)
            sys.exit(1)
        left += 1
print('ops %d refused %d gone %d %s' % (ops, refused, left,
      ' '.join('%s:%d' % (errno.errorcode[k], v) for k, v in sorted(hist.items()))))
EOF
}

# owned_holder: grants a few owned DMBs, says "ready N", sleeps until killed.
owned_holder_py() {
	py_prelude
	cat <<'EOF'
c = conn()
n = 0
for name, v in devs(c).items():
    if not name.startswith('A'):
        continue
    for peer in devs(c).values():
        try:
            payload = body('dmb', dev_index=v['index'], len=4096, owned=True) + \
                fz.nla(spec.sets['dmb']['rgid']['num'], peer['gid'])
            c.request(c.fid, F, struct.pack('=BBH', spec.ops['dmb-grant']['num'], 1, 0) + payload)
            n += 1
        except OSError:
            pass
print('ready %d' % n, flush=True)
time.sleep(3600)
EOF
}

@test "stress: grants, writes, reads, revokes vs. device churn, netns moves and kill -9" {
	command -v ip >/dev/null || skip "no ip"
	local before stop=$BATS_TEST_TMPDIR/stop cstop=$BATS_TEST_TMPDIR/churn-stop
	local i w pid end out ops=0 kills=0 churn=0 owned=0 rc n
	before=$(snapshot)
	NETNS=dibs-rel-$$
	ip netns add "$NETNS"
	stress_worker_py >"$BATS_TEST_TMPDIR/worker.py"
	owned_holder_py >"$BATS_TEST_TMPDIR/holder.py"
	printf '%s\n' "dev add A0 type sim fabric 0x0a0a" "dev add A1 type sim fabric 0x0a0a" \
		"dev add A2 type sim fabric 0x0a0a" "dev add A3 type sim fabric 0x0a0a" \
		>"$BATS_TEST_TMPDIR/anchors"
	dc -b "$BATS_TEST_TMPDIR/anchors"

	# Workers: three grant/write/read/revoke loops and an unprivileged
	# fuzzer that checks every answer while the world changes.
	for w in 1 2 3; do
		python3 "$BATS_TEST_TMPDIR/worker.py" "$stop" "$w" \
			>"$BATS_TEST_TMPDIR/worker.$w" 2>&1 &
		PIDS+=($!)
	done
	"${NOBODY[@]}" python3 "$FUZZ" --count 100000000 >"$BATS_TEST_TMPDIR/sfuzz" 2>&1 &
	PIDS+=($!)
	local fuzz_pid=$!

	# Owned grants die with kill -9, over and over, in the background.
	(
		k=0 o=0
		while [ ! -e "$cstop" ]; do
			python3 "$BATS_TEST_TMPDIR/holder.py" >"$BATS_TEST_TMPDIR/holder.out" 2>&1 &
			hp=$!
			for i in {1..100}; do
				grep -q '^ready' "$BATS_TEST_TMPDIR/holder.out" && break
				sleep 0.1
			done
			out=$(cat "$BATS_TEST_TMPDIR/holder.out")
			[[ $out =~ ^ready\ ([0-9]+) ]] || { echo "holder: $out"; exit 1; }
			kill -9 $hp
			wait $hp 2>/dev/null || true
			k=$((k + 1)) o=$((o + BASH_REMATCH[1]))
			echo "$k $o" >"$BATS_TEST_TMPDIR/kills"
		done
	) &
	local killer=$!
	PIDS+=($killer)

	# Churn: devices come and go, go down and up, move to the other
	# namespace and back.
	end=$((SECONDS + STRESS_SECONDS))
	while ((SECONDS < end)); do
		n=$((churn % 2))
		printf '%s\n' "dev add C$n type sim fabric 0x0a0a" "dev set A$((churn % 4)) state down" \
			"dev set C$n netns $NETNS" "dev set A$((churn % 4)) state up" \
			"dev set A$(((churn + 1) % 4)) netns $NETNS" >"$BATS_TEST_TMPDIR/churn1"
		printf '%s\n' "dev set A$(((churn + 1) % 4)) netns $$" "dev set C$n state down" \
			"dev set C$n netns $$" >"$BATS_TEST_TMPDIR/churn2"
		rc=0
		dc -force -b "$BATS_TEST_TMPDIR/churn1" >/dev/null 2>&1 || rc=$?
		((rc <= 1)) || { echo "churn batch exited $rc" >&2; return 1; }
		rc=0
		dc -force -n "$NETNS" -b "$BATS_TEST_TMPDIR/churn2" >/dev/null 2>&1 || rc=$?
		((rc <= 1)) || { echo "churn batch in $NETNS exited $rc" >&2; return 1; }
		rc=0
		dc -force dev del "C$n" >/dev/null 2>&1 || rc=$?
		((rc <= 1)) || { echo "dev del exited $rc" >&2; return 1; }
		churn=$((churn + 1))
	done

	touch "$cstop"
	wait "$killer" || { echo "the kill -9 loop failed" >&2; return 1; }
	read -r kills owned <"$BATS_TEST_TMPDIR/kills"
	# Everything back into this namespace, up; then the workers finish.
	for i in 0 1 2 3; do
		dc -n "$NETNS" dev set "A$i" netns $$ 2>/dev/null || true
		dc -n "$NETNS" dev del "C$((i % 2))" 2>/dev/null || true
		dc dev set "A$i" state up
	done
	expect_eq "devices left in $NETNS" "$(dc -n "$NETNS" dev show)" ""
	touch "$stop"
	for w in 1 2 3; do
		wait "${PIDS[w - 1]}" || { echo "worker $w failed:" >&2; cat "$BATS_TEST_TMPDIR/worker.$w" >&2; return 1; }
		out=$(tail -n 1 "$BATS_TEST_TMPDIR/worker.$w")
		[[ $out =~ ^ops\ ([0-9]+)\ refused ]] || { echo "worker $w: $out" >&2; return 1; }
		ops=$((ops + BASH_REMATCH[1]))
		note "worker $w: $out"
	done
	kill -TERM "$fuzz_pid"
	wait "$fuzz_pid" || true
	# The fuzzer found nothing wrong while it ran.
	! grep -q VIOLATION "$BATS_TEST_TMPDIR/sfuzz" || { cat "$BATS_TEST_TMPDIR/sfuzz" >&2; return 1; }
	PIDS=()

	# No DMB is left: the workers revoked theirs, owned ones went with
	# their killed holders and with deleted devices.
	expect_eq "DMBs left" "$(dc dmb show)" ""
	out=$(dc client show)
	[[ $out =~ ^[0-9]+:\ userspace:\ dmb-count\ 0( |$) ]] || { echo "clients: $out" >&2; return 1; }
	dc -b - <<<$'dev del A0\ndev del A1\ndev del A2\ndev del A3'
	same_snapshot "$before"
	note "stress ${STRESS_SECONDS}s: $ops worker ops, $churn churn rounds, $kills holders killed -9 with $owned owned DMBs"
	((ops > 0 && churn > 0 && kills > 0))
	ip netns del "$NETNS"
	NETNS=''
	unload_clean
}

# ---- races on one device: create, reply, set, delete, unload --------------

@test "races: dev add, dev set and dev del of one name and rmmod of its driver, at once" {
	local stop=$BATS_TEST_TMPDIR/race-stop end i n=0 pid f secs=6
	dibs_on_debug_kernel && secs=12
	# dev-new builds its reply while a dev-del may take the new device;
	# dev-set changes state and namespace (and tells the fabric) while it
	# is deleted or its module unloads.
	for i in {1..40}; do
		echo "dev add R type sim fabric 0x0d0d"
		echo "dev set R state down"
	done >"$BATS_TEST_TMPDIR/adder"
	for i in {1..40}; do
		echo "dev set R state up netns $$"
		echo "dev del R"
	done >"$BATS_TEST_TMPDIR/setter"
	for f in adder setter; do
		(while [ ! -e "$stop" ]; do
			rc=0
			dc -force -b "$BATS_TEST_TMPDIR/$f" >/dev/null 2>&1 || rc=$?
			((rc <= 1)) || { echo "$f: dibsctl exited $rc"; exit 1; }
		done) &
		PIDS+=($!)
	done
	end=$((SECONDS + secs))
	while ((SECONDS < end)); do
		if rmmod dibs_sim 2>/dev/null; then
			n=$((n + 1))
			dibs_insmod dibs_sim
		fi
		sleep 0.3
	done
	touch "$stop"
	for pid in "${PIDS[@]}"; do
		wait "$pid" || { echo "a dibsctl loop failed" >&2; return 1; }
	done
	PIDS=()
	dc -force dev del R >/dev/null 2>&1 || true
	dibs_no_kernel_problems
	note "${secs}s: dibs_sim unloaded $n times under the loops"
	((n > 0))
	expect_eq "devices left" "$(dc -j dev show | jq -r '[.[].name] | join(" ")')" lo
}

# ---- fault injection: the sim driver's move_data --------------------------

@test "faults: injected move_data errors fail writes cleanly, counted, nothing lands" {
	local ga gb tok e want out i
	dc -b - <<<$'dev add FA type sim fabric 0x0b0b\ndev add FB type sim fabric 0x0b0b'
	read -r ga </sys/class/dibs/FA/gid
	read -r gb </sys/class/dibs/FB/gid
	tok=$(dc dmb grant dev FA remote-gid "$gb" size 64K)
	tok=${tok#token }
	# errno: what dibsctl prints
	local -A msg=([5]="Input/output error" [12]="Cannot allocate memory"
		[28]="No space left on device" [71]="Protocol error"
		[110]="Connection timed out" [16]="Device or resource busy" [14]="Bad address")
	local n=0
	for e in "${!msg[@]}"; do
		echo "$e" >"$SIM_DEBUGFS/FB/fail_errno"
		echo 3 >"$SIM_DEBUGFS/FB/fail_count"
		# three writes fail (one with a signal, one a whole 32 KiB chunk),
		# the fourth lands
		head -c 32768 /dev/zero | tr '\0' 'q' >"$BATS_TEST_TMPDIR/chunk"
		printf '%s\n' "dmb write dev FB token $tok offset 0 data xx signal 3" \
			"dmb write dev FB token $tok offset 100 file $BATS_TEST_TMPDIR/chunk" \
			"dmb write dev FB token $tok offset 65535 data y" \
			"dmb write dev FB token $tok offset $((e * 10)) data E$e" >"$BATS_TEST_TMPDIR/w"
		out=$(dc -force -b "$BATS_TEST_TMPDIR/w" 2>&1 >/dev/null) && { echo "batch succeeded" >&2; return 1; }
		want="Error: ${msg[$e]}"
		expect_eq "errno $e" "$(grep -c "^$want\$" <<<"$out")" 3
		expect_eq "fail_count" "$(cat "$SIM_DEBUGFS/FB/fail_count")" 0
		n=$((n + 3))
	done
	# nothing of the failed writes landed; each fourth did
	expect_eq "offset 0" "$(dc dmb read dev FA token "$tok" offset 0 length 2 file - | od -An -tx1 | tr -d ' ')" 0000
	expect_eq "offset 100" "$(dc dmb read dev FA token "$tok" offset 100 length 4 file - | od -An -tx1 | tr -d ' ')" 00000000
	for e in "${!msg[@]}"; do
		expect_eq "E$e" "$(dc dmb read dev FA token "$tok" offset $((e * 10)) length $((${#e} + 1)) file -)" "E$e"
	done
	# counted: move errors on the writer; the DMB saw only the landed
	# writes, no refusals (those are EACCES) and no signals
	out=$(dc -s -j dev show FB | jq -r '.[0].stats | [.moves, .move_errors, .signals] | join(" ")')
	expect_eq "FB moves, errors, signals" "$out" "${#msg[@]} $n 0"
	out=$(dc -s -j dmb show token "$tok" | jq -r '.[0].stats | [.writes, .signals, .refused] | join(" ")')
	expect_eq "DMB writes, signals, refused" "$out" "${#msg[@]} 0 0"
	note "$n injected move_data faults"
	dc dmb revoke dev FA token "$tok"
	dc -b - <<<$'dev del FA\ndev del FB'
	unload_clean
}

# ---- fault injection: FAILSLAB ---------------------------------------------

# failslab_py NETNS: every op with its Nth slab allocation failing, N = 1, 2,
# ... until the op runs without reaching the Nth (fail-nth of the task: the
# Nth should_fail() of this thread fails, whatever the probability). Each
# answer must be success or a clean ENOMEM (ENOBUFS when netlink itself
# could not allocate the request or the answer); after a failure the dumps
# show nothing half-created, and after a success the change is there.
failslab_py() {
	py_prelude
	cat <<'EOF'
import subprocess, threading
ns = sys.argv[1]
NTH = '/proc/self/task/%d/fail-nth' % threading.get_native_id()
c = conn()
rbuf = bytearray(1 << 17)
CLEAN = (errno.ENOMEM, errno.ENOBUFS)

# fail-nth cannot seek: three fds, all opened before arming (an open
# allocates), one to arm, one to read what is left, one to disarm.
fds = []

def arm(n):
    fds[:] = [os.open(NTH, os.O_WRONLY), os.open(NTH, os.O_RDONLY),
              os.open(NTH, os.O_WRONLY)]
    os.write(fds[0], b'%d' % n)

def left():
    v = int(os.read(fds[1], 32))
    os.write(fds[2], b'0')
    for fd in fds:
        os.close(fd)
    return v

def call(op, dump=False, extra=b'', **kw):
    """One request with fault injection armed by the caller: 0 for success,
    else the errno; None when the answer was lost (ENOBUFS on the socket)."""
    o = spec.ops[op]
    seq = c.next_seq()
    msg = fz.nlmsg(c.fid, fz.NLM_F_REQUEST | (fz.NLM_F_DUMP if dump else fz.NLM_F_ACK), seq,
                   struct.pack('=BBH', o['num'], 1, 0) + body(o['set'], **kw) + extra)
    try:
        c.sock.send(msg)
    except OSError as e:
        return e.errno
    while True:
        try:
            n = c.sock.recv_into(rbuf)
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                return None
            raise
        for m in fz.split_msgs(bytes(rbuf[:n])):
            if m['seq'] != seq:
                continue
            if m['type'] in (fz.NLMSG_ERROR, fz.NLMSG_DONE):
                return -struct.unpack_from('=i', m['payload'])[0]
            if m['type'] == c.fid:
                o2 = spec.cmds[m['payload'][0]]
                attrs(m, o2['set'])      # well formed

def drain():
    c.sock.setblocking(False)
    try:
        while True:
            c.sock.recv_into(rbuf)
    except OSError:
        pass
    c.sock.setblocking(True)

d = devs(c)
gid = {n: v['gid'] for n, v in d.items()}
rgid = spec.sets['dmb']['rgid']['num']
dev_gid = spec.sets['dev']['remote-gid']['num']
r = c.request(c.fid, F, struct.pack('=BBH', spec.ops['dmb-grant']['num'], 1, 0) +
              body('dmb', dev_index=d['FS0']['index'], len=65536) + fz.nla(rgid, gid['FS1']))
tok = struct.unpack('=Q', attrs(r[0], 'dmb')['token'])[0]
nsfd = os.open('/run/netns/' + ns, os.O_RDONLY)

def ndmbs():
    return len(dmbs(c))

def in_ns(name):
    out = subprocess.run([os.environ['DIBSCTL'], '-n', ns, 'dev', 'show'],
                         capture_output=True, text=True, check=True).stdout
    return (' %s: ' % name) in out

def grant_one():
    r = c.request(c.fid, F, struct.pack('=BBH', spec.ops['dmb-grant']['num'], 1, 0) +
                  body('dmb', dev_index=d['FS0']['index'], len=4096) + fz.nla(rgid, gid['FS1']))
    return struct.unpack('=Q', attrs(r[0], 'dmb')['token'])[0]

state = {}

def op_dev_new_lo(run):
    if run:
        return call('dev-new', name='fn0', type='loopback')
    return 'fn0' in devs(c)

def undo_dev_new_lo():
    req(c, 'dev-del', name='fn0')

def op_dev_new_sim(run):
    if run:
        return call('dev-new', name='fn1', type='sim', fabric_id=0x0c0c)
    return 'fn1' in devs(c)

def undo_dev_new_sim():
    req(c, 'dev-del', name='fn1')

def op_grant(run):
    if run == 'prep':
        state['n'] = ndmbs()
    elif run:
        return call('dmb-grant', extra=fz.nla(rgid, gid['FS1']), dev_index=d['FS0']['index'], len=4096)
    return ndmbs() == state['n'] + 1

def undo_grant():
    for t, v in dmbs(c).items():
        if t != tok:
            req(c, 'dmb-revoke', dev_index=v['dev'], token=t)

def op_write(run):
    off = state.setdefault('off', 0)
    if run:
        state['off'] += 16
        return call('dmb-write', extra=fz.nla(spec.sets['dmb']['data']['num'], b'F' * 16),
                    dev_index=d['FS1']['index'], token=tok, offset=off + 16, signal_idx=2)
    r = req(c, 'dmb-read', dev_index=d['FS0']['index'], token=tok, offset=off, len=16)
    return attrs(r[0], 'dmb')['data'] == b'F' * 16

def op_read(run):
    return call('dmb-read', dev_index=d['FS0']['index'], token=tok, offset=0, len=4096) if run else None

def op_dev_dump(run):
    return call('dev-get', dump=True) if run else None

def op_dmb_dump(run):
    return call('dmb-get', dump=True) if run else None

def op_client_dump(run):
    return call('client-get', dump=True) if run else None

def op_query(run):
    return call('remote-query', extra=fz.nla(dev_gid, gid['FS1']), index=d['FS0']['index']) if run else None

def op_netns(run):
    if run:
        return call('dev-set', name='FS2', netns_fd=nsfd)
    there = in_ns('FS2')
    if there == ('FS2' in devs(c)):
        raise SystemExit('FS2 is in both namespaces or in none')
    return there

def undo_netns():
    subprocess.run([os.environ['DIBSCTL'], '-n', ns, 'dev', 'set', 'FS2', 'netns',
                    str(os.getpid())], check=True)

def op_state(run):
    if run:
        return call('dev-set', name='FS2', state=0)
    return devs(c)['FS2']['state'] == 0

def undo_state():
    req(c, 'dev-set', name='FS2', state=1)

def op_revoke(run):
    if run == 'prep':
        state['t'] = grant_one()
    elif run:
        return call('dmb-revoke', dev_index=d['FS0']['index'], token=state['t'])
    return state['t'] not in dmbs(c)

def undo_revoke():
    pass

def op_dev_del(run):
    if run == 'prep':
        if 'fd0' not in devs(c):
            req(c, 'dev-new', name='fd0', type='loopback')
    elif run:
        return call('dev-del', name='fd0')
    return 'fd0' not in devs(c)

def undo_dev_del():
    pass

def cleanup_revoke():
    if 't' in state and state['t'] in dmbs(c):
        req(c, 'dmb-revoke', dev_index=d['FS0']['index'], token=state['t'])

ops = [('dev-new loopback', op_dev_new_lo, undo_dev_new_lo),
       ('dev-new sim', op_dev_new_sim, undo_dev_new_sim),
       ('dmb-grant', op_grant, undo_grant), ('dmb-write', op_write, None),
       ('dmb-read', op_read, None), ('dev-get dump', op_dev_dump, None),
       ('dmb-get dump', op_dmb_dump, None), ('client-get dump', op_client_dump, None),
       ('remote-query', op_query, None), ('dev-set netns', op_netns, undo_netns),
       ('dev-set state', op_state, undo_state), ('dmb-revoke', op_revoke, undo_revoke),
       ('dev-del', op_dev_del, undo_dev_del)]
bad = 0
total = 0
for name, op, undo in ops:
    fails = {}
    n = 0
    while n < 400:
        n += 1
        drain()
        if name in ('dmb-grant', 'dmb-revoke', 'dev-del'):
            op('prep')      # its setup runs before the fault is armed
        arm(n)
        try:
            r = op(True)
        except MemoryError:
            left()
            continue        # the fault hit the interpreter, not the op
        remaining = left()
        if r is not None and r != 0 and r not in CLEAN:
            print('%s, allocation %d: errno %d (%s), want ENOMEM' % (name, n, r, os.strerror(r)))
            bad += 1
        done = op(False)
        if done is not None:
            if r == 0 and not done:
                print('%s, allocation %d: succeeded, but nothing changed' % (name, n))
                bad += 1
            if r not in (0, None) and done:
                print('%s, allocation %d: failed with %s, but it was done (half-done)'
                      % (name, n, os.strerror(r)))
                bad += 1
            if done and undo:
                undo()
        if name == 'dmb-revoke':
            cleanup_revoke()
        if r:
            fails[r] = fails.get(r, 0) + 1
        total += 1 if remaining == 0 else 0
        if remaining:
            break       # the op needed fewer than n allocations
    print('%-16s %3d allocations failed one by one: %s' % (
        name, n - 1, ' '.join('%s:%d' % (errno.errorcode.get(k, k), v) for k, v in sorted(fails.items())) or '-'))
    if n >= 400:
        print('%s: still failing at 400' % name)
        bad += 1
print('faults %d' % total)
sys.exit(1 if bad else 0)
EOF
}

@test "faults: FAILSLAB, the Nth allocation of every op fails: clean ENOMEM, nothing half-done" {
	[ -d /sys/kernel/debug/failslab ] ||
		skip "no /sys/kernel/debug/failslab: FAILSLAB is only in the debug kernel"
	local fs=/sys/kernel/debug/failslab before out
	[ -e "/proc/self/task/$BASHPID/fail-nth" ] || skip "no fail-nth (CONFIG_FAULT_INJECTION)"
	command -v ip >/dev/null || skip "no ip"
	before=$(snapshot)
	NETNS=dibs-fs-$$
	ip netns add "$NETNS"
	dc -b - <<<$'dev add FS0 type sim fabric 0x0c0c\ndev add FS1 type sim fabric 0x0c0c\ndev add FS2 type sim fabric 0x0c0c'
	# GFP_KERNEL allocations too; no stack dump per fault; fail-nth
	# decides which allocation fails.
	echo N >"$fs/ignore-gfp-wait"
	echo 0 >"$fs/verbose"
	failslab_py >"$BATS_TEST_TMPDIR/fs.py"
	out=$(DIBSCTL=$DIBSCTL python3 "$BATS_TEST_TMPDIR/fs.py" "$NETNS" 2>&1) || {
		echo "$out" >&2
		echo Y >"$fs/ignore-gfp-wait"
		return 1
	}
	echo Y >"$fs/ignore-gfp-wait"
	while IFS= read -r l; do note "$l"; done <<<"$out"
	[[ $out =~ faults\ ([0-9]+) ]] && ((BASH_REMATCH[1] > 20))
	# the sweep's own DMB and devices, then nothing of it is left
	dc -b - <<<$'dev del FS0\ndev del FS1\ndev del FS2'
	same_snapshot "$before"
	ip netns del "$NETNS"
	NETNS=''
	unload_clean
}

# ---- bad input across the CLI boundary -------------------------------------

# bad WANT ARG...: dibsctl ARG... exits WANT (1: the kernel refused, 2: a
# usage error), never with a signal, prints nothing on stdout and
# "Error: ..." first on stderr; a usage error names the argument (quoted,
# or as a word; BAD_ARG says which, default the last ARG).
BAD_N=0
bad() {
	local want=$1 rc=0 err arg
	shift
	"$DIBSCTL" "$@" >"$BATS_TEST_TMPDIR/bad.out" 2>"$BATS_TEST_TMPDIR/bad.err" || rc=$?
	err=$(head -n 1 "$BATS_TEST_TMPDIR/bad.err")
	BAD_N=$((BAD_N + 1))
	if ((rc >= 128)) || [ "$rc" != "$want" ] || [ -s "$BATS_TEST_TMPDIR/bad.out" ] ||
		[[ $err != "Error: "?* ]]; then
		echo "dibsctl $(printf '%q ' "$@"): exit $rc (want $want), stdout '$(head -c 200 "$BATS_TEST_TMPDIR/bad.out")', stderr '$err'" >&2
		return 1
	fi
	if [ "$want" = 2 ]; then
		arg=${BAD_ARG-${!#}}
		[[ $err == *"\"${arg:0:15}"* || $err == *" $arg "* ]] ||
			{ echo "dibsctl $*: '$err' does not quote '${arg:0:40}'" >&2; return 1; }
	fi
	unset BAD_ARG
}

@test "bad input: device names and numeric edges at the CLI, nothing created" {
	local before long g=01234567-89ab-cdef-0123-456789abcdef n tok lg
	local -a names
	# 142 dibsctl runs, minutes under TCG (4 under KASAN): the CLI's
	# checks do not change with the kernel, and the kernel's refusals of
	# the same names and numbers are fuzzed on every kernel above. So they
	# run once, on the newest Debian kernel, as tests/vm/one-kernel-suites'
	# suites do.
	! dibs_on_debug_kernel || skip "CLI edges run on the newest Debian kernel only"
	dibs_on_newest_kernel || skip "CLI edges run on the newest Debian kernel only"
	before=$(snapshot)
	long=$(printf 'n%.0s' {1..1000})
	read -r lg </sys/class/dibs/lo/gid
	# names the kernel refuses to create (1) and cannot find (1); those the
	# CLI refuses (2): empty, too long
	names=($'\xff\xfe\x80' 'a/b' '%n%n%s' '..' '.' 'a b' $'x\ny' 'lo:1' '%s')
	for n in "${names[@]}"; do
		bad 1 dev add "$n" type loopback
		bad 1 dev add "$n" type sim fabric 1
		bad 1 dev show "$n"
		bad 1 dev del "$n"
		bad 1 dev set "$n" state down
		bad 1 dev set "$n" netns 1
		bad 1 dev query "$n" remote-gid "$g"
		bad 1 dmb grant dev "$n" remote-gid "$g" size 4K
		bad 1 dmb show dev "$n"
		bad 1 dmb write dev "$n" token 1 data x
		bad 1 dmb read dev "$n" token 1 length 1
		bad 1 dmb revoke dev "$n" token 1
	done
	BAD_ARG='' bad 2 dev add "" type loopback
	BAD_ARG=$long bad 2 dev add "$long" type loopback
	BAD_ARG=$long bad 2 dev show "$long"
	BAD_ARG=$long bad 2 dmb grant dev "$long" remote-gid "$g" size 1
	BAD_ARG=$long bad 2 dmb show client "$long"
	BAD_ARG=$long bad 2 dev add x type "$long"
	BAD_ARG=$long bad 2 dev add x type sim gid "$long"
	BAD_ARG=$long bad 2 dmb read dev lo token "$long"
	BAD_ARG=$long bad 2 -n "$long" dev show
	bad 1 dmb show client '%n%n%n'
	bad 1 dmb show client $'\xff'

	# numeric arguments at 0, max, max + 1
	bad 1 dev show 0
	bad 1 dev show 4294967295
	bad 2 dev show 4294967296
	bad 2 dev add fx type sim fabric 65536
	bad 2 dev add fx type sim fabric 0x10000
	bad 1 dev add fx type sim fabric 0xffff
	bad 2 dmb grant dev lo remote-gid "$lg" size 8388609
	bad 1 dmb show token 0
	bad 1 dmb show token 18446744073709551615
	bad 2 dmb show token 18446744073709551616
	bad 1 dmb read dev lo token 0 offset 0 length 1
	bad 1 dmb read dev lo token 18446744073709551615 offset 8388607 length 1
	BAD_ARG=8388608 bad 2 dmb read dev lo token 1 offset 8388608 length 1
	bad 2 dmb read dev lo token 1 length 8388609
	bad 1 dmb write dev lo token 0 offset 0 data x signal 0
	bad 1 dmb write dev lo token 18446744073709551615 offset 8388607 data x signal 15
	BAD_ARG=8388608 bad 2 dmb write dev lo token 1 offset 8388608 data x
	bad 2 dmb write dev lo token 1 data x signal 16
	bad 1 dev set lo netns 0
	bad 1 dev set lo netns 4294967295
	# a NETNS may be a name: the CLI looks it up, then refuses it as a pid (1)
	bad 1 dev set lo netns 4294967296
	# every numeric argument at its largest valid value works where the
	# kernel agrees: size 4M (the largest contiguous block a soft device
	# backs a DMB with; the CLI takes up to 8M), offset 4M-1 into it,
	# fabric 0xfffe, a 32 KiB read at the end
	tok=$(dc dmb grant dev lo remote-gid "$lg" size 4M)
	tok=${tok#token }
	dc dmb write dev lo token "$tok" offset 4194303 data z signal 15
	expect_eq "last byte" "$(dc dmb read dev lo token "$tok" offset 4194303 length 1 file -)" z
	# one byte more reaches past the largest DMB: the CLI knows (2)
	BAD_ARG=8388607 bad 2 dmb write dev lo token "$tok" offset 8388607 data zz
	BAD_ARG=8388607 bad 2 dmb read dev lo token "$tok" offset 8388607 length 2
	dc dmb revoke dev lo token "$tok"
	dc dev add fx type sim fabric 0xfffe
	dc dev add fy type sim fabric 0
	dc -b - <<<$'dev del fx\ndev del fy'
	note "$BAD_N bad command lines"
	# nothing was created, nothing is left
	same_snapshot "$before"
	expect_eq "sysfs" "$(ls /sys/class/dibs)" lo
	unload_clean
}
