# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The block benchmark of bench/driver.sh: dibs-blk (dibsblk/) against the
# peer a user would pick instead, Debian's nbd-server over TCP loopback
# with Debian's nbd-client, side by side in one run on the same file:
# both export $BLK_DIR/blk.img, dibs-blk through two sim devices to
# /dev/nbd0, nbd-server through 127.0.0.1 to /dev/nbd1. fio (libaio,
# O_DIRECT, queue depth BLK_QD) on each device in turn, the order swapped
# every repetition: sequential 1 MiB reads and writes, random 4 KiB reads.
# Records blk.{dibs,nbd}.{seqread,seqwrite,randread}_bps $r (bytes/s).
#
# BLK_PROG is the dibs-blk measured (default: the tree's; another build can
# be compared in the same boot). The caller (driver.sh) sets DC, REPS,
# BLK_MB (the file's size in MiB), BLK_SECS (seconds per fio job: a job
# runs that long, wrapping around the file; jobs of 64 MiB lasted 0.2 s
# under TCG and one device's figure then spread from 216 to 501 MB/s in
# one boot) and BLK_QD, and calls blk_cleanup from its exit trap.

BLK_PROG=${BLK_PROG:-$DIBS_REPO/dibsblk/dibs-blk}
BLK_DIR=''
BLK_SRV='' BLK_CLI='' BLK_NBDSRV_PID=''

blk_cleanup() {
	[ -n "$BLK_CLI" ] && kill -TERM "$BLK_CLI" 2>/dev/null && wait "$BLK_CLI" 2>/dev/null
	[ -n "$BLK_SRV" ] && kill -TERM "$BLK_SRV" 2>/dev/null && wait "$BLK_SRV" 2>/dev/null
	BLK_CLI='' BLK_SRV=''
	if [ -e /sys/block/nbd1/pid ]; then
		nbd-client -d /dev/nbd1 >/dev/null 2>&1 || true
	fi
	if [ -n "$BLK_NBDSRV_PID" ]; then
		kill -TERM "$BLK_NBDSRV_PID" 2>/dev/null || true
		BLK_NBDSRV_PID=''
	fi
	[ -n "$BLK_DIR" ] && rm -rf "$BLK_DIR"
	BLK_DIR=''
	return 0
}

# blk_wait_dev NBD: until the NBD device runs (its pid attribute exists)
blk_wait_dev() {
	local i
	for i in $(seq 150); do
		[ -e "/sys/block/$1/pid" ] && return 0
		sleep 0.1
	done
	echo "bench: /dev/$1 did not come up" >&2
	return 1
}

# blk_fio DEV RW BS: bytes per second of one fio job of BLK_SECS seconds
blk_fio() {
	fio --name=b --filename="$1" --rw="$2" --bs="$3" \
		--size=$((BLK_MB * 1024 * 1024)) \
		--time_based --runtime="$BLK_SECS" \
		--direct=1 --ioengine=libaio --iodepth="$BLK_QD" \
		--randrepeat=0 --output-format=json |
		jq --arg rw "$2" 'if $rw == "write" then .jobs[0].write.bw_bytes
				  else .jobs[0].read.bw_bytes end'
}

blk_one() {	# blk_one NAME DEV
	rec "blk.$1.seqread_bps $r $(blk_fio "$2" read 1M)"
	rec "blk.$1.seqwrite_bps $r $(blk_fio "$2" write 1M)"
	rec "blk.$1.randread_bps $r $(blk_fio "$2" randread 4k)"
}

blk_bench() {
	local port=10809 gid
	modprobe nbd nbds_max=2
	ip link set lo up
	BLK_DIR=$(mktemp -d)
	head -c $((BLK_MB * 1024 * 1024)) /dev/urandom >"$BLK_DIR/blk.img"
	$DC dev add ka type sim fabric 14
	$DC dev add kb type sim fabric 14
	gid=$(cat /sys/class/dibs/ka/gid)
	"$BLK_PROG" server --dev ka --export "$BLK_DIR/blk.img" \
		--allow "$(cat /sys/class/dibs/kb/gid)" \
		2>"$BLK_DIR/srv.log" &
	BLK_SRV=$!
	"$BLK_PROG" client --dev kb --server "$gid" --nbd /dev/nbd0 \
		2>"$BLK_DIR/cli.log" &
	BLK_CLI=$!
	blk_wait_dev nbd0 || { cat "$BLK_DIR"/*.log >&2; return 1; }
	cat >"$BLK_DIR/nbd.conf" <<-CONF
	[generic]
	listenaddr = 127.0.0.1
	port = $port
	[bench]
	exportname = $BLK_DIR/blk.img
	CONF
	nbd-server -C "$BLK_DIR/nbd.conf" -p "$BLK_DIR/nbd.pid"
	for _ in $(seq 50); do
		[ -s "$BLK_DIR/nbd.pid" ] && break
		sleep 0.1
	done
	BLK_NBDSRV_PID=$(cat "$BLK_DIR/nbd.pid")
	nbd-client 127.0.0.1 "$port" /dev/nbd1 -N bench -b 4096 >/dev/null
	blk_wait_dev nbd1
	param BLK_MB "$BLK_MB"
	param BLK_SECS "$BLK_SECS"
	param BLK_QD "$BLK_QD"
	for r in $(seq "$REPS"); do
		if [ $((r % 2)) = 1 ]; then
			blk_one dibs /dev/nbd0
			blk_one nbd /dev/nbd1
		else
			blk_one nbd /dev/nbd1
			blk_one dibs /dev/nbd0
		fi
	done
	blk_cleanup
	$DC dev del ka
	$DC dev del kb
}
