# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The console benchmarks of bench/driver.sh (issue 17): console over dibs
# (kernel/dibs_console.c, uapi/dibs-console.md) over sim in one VM. The
# console serves its tty on sim device cb; the terminal server is
# bench/conbench on sim device ca of the same fabric: the measuring
# program is the server itself, so each clock starts and stops in one
# process (dibsctl console connect would put its stdin and stdout, two
# more process hand-overs per round trip, into every figure).
#
# - echo: one byte through the console and back (conbench echo: a child
#   in raw mode on the tty writes every byte back) against one signal
#   round trip (ca signals cb, a child on its own handle answers with a
#   signal back), interleaved one by one; medians of CON_ECHO_N each.
# - bulk: CON_BULK_BYTES from the tty (a writer child) to the server,
#   against the same bytes through a local pty pair, the same writer and a
#   reader in the measuring process, interleaved; medians of CON_BULK_N.
# Records con.echo_ns, con.sigrtt_ns (and _min_, _mean_) and
# con.bulk_console_ns, con.bulk_pty_ns $r.
#
# The caller (driver.sh) sets DC, REPS, CON_ECHO_N, CON_BULK_BYTES and
# CON_BULK_N; it loads dibs_sim; this loads dibs_console and leaves it
# loaded (unload_dibs unloads it).

CONBENCH=$DIBS_REPO/bench/conbench

console_bench() {
	local s r tty
	dibs_loaded dibs_console || dibs_insmod dibs_console
	$DC dev add ca type sim fabric 14
	$DC dev add cb type sim fabric 14
	$DC console enable dev cb allow "$(gid_of ca)"
	tty=/dev/$(cat /sys/class/dibs/cb/console/tty)
	param CON_ECHO_N "$CON_ECHO_N"
	param CON_BULK_BYTES "$CON_BULK_BYTES"
	param CON_BULK_N "$CON_BULK_N"
	for r in $(seq "$REPS"); do
		s=$("$CONBENCH" echo ca cb "$tty" "$CON_ECHO_N")
		rec "con.echo_ns $r $(val echo_median_ns <<<"$s")"
		rec "con.sigrtt_ns $r $(val sigrtt_median_ns <<<"$s")"
		rec "con.echo_min_ns $r $(val echo_min_ns <<<"$s")"
		rec "con.sigrtt_min_ns $r $(val sigrtt_min_ns <<<"$s")"
		rec "con.echo_mean_ns $r $(val echo_ns <<<"$s")"
		rec "con.sigrtt_mean_ns $r $(val sigrtt_ns <<<"$s")"
		s=$("$CONBENCH" bulk ca cb "$tty" "$CON_BULK_BYTES" "$CON_BULK_N")
		rec "con.bulk_console_ns $r $(val bulk_console_median_ns <<<"$s")"
		rec "con.bulk_pty_ns $r $(val bulk_pty_median_ns <<<"$s")"
		rec "con.bulk_console_min_ns $r $(val bulk_console_min_ns <<<"$s")"
		rec "con.bulk_pty_min_ns $r $(val bulk_pty_min_ns <<<"$s")"
	done
	$DC console disable dev cb
	$DC dev del ca
	$DC dev del cb
}
