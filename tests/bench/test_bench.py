"""
tests/bench/test_bench.py: the harness of `make bench` (scripts/bench) without the guest
side. It reads recorded logs (fixtures/good: all four columns, icount and wall, and the
three Linux boots (linux-*.icount.log: real serial logs cut down to the kernel's first
line and what follows "Run /init"); fixtures/no-bench: real boots of a kernel that has no
bench program) and must fail when a column, an op or a line is missing or malformed. The booting code runs
against stand-ins for the launcher and QEMU (fake-parapet, fake-qemu) that replay the
fixtures. Cannot detect: whether the real guest prints what the fixtures say, or any
property of a real measurement. No timing is asserted.
"""
import contextlib
import csv
import importlib.machinery
import importlib.util
import io
import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOOD = HERE / "fixtures" / "good"
NO_BENCH = HERE / "fixtures" / "no-bench"

_loader = importlib.machinery.SourceFileLoader("bench", str(ROOT / "scripts" / "bench"))
_spec = importlib.util.spec_from_loader("bench", _loader)
bench = importlib.util.module_from_spec(_spec)
_loader.exec_module(bench)

COLUMNS = ["native", "pv", "trap", "xen"]
LINUX = ["native", "parapet", "xen"]


def read(path):
    return Path(path).read_text()


def good_run(col, mode="icount"):
    text = read(GOOD / ("%s.%s.log" % (col, mode)))
    return bench.parse_log(text, col, mode)


def linux_run(col, text=None):
    if text is None:
        text = read(GOOD / ("linux-%s.icount.log" % col))
    return bench.parse_linux_log(text, col)


def edit_line(text, match, new):
    """Replace the one line containing `match` by `new` (None deletes it)."""
    out, hits = [], 0
    for line in text.splitlines(keepends=True):
        if match in line:
            hits += 1
            if new is not None:
                out.append(new + ("\r\n" if line.endswith("\r\n") else "\n"))
            continue
        out.append(line)
    assert hits == 1, "%r matched %d lines" % (match, hits)
    return "".join(out)


class Parsing(unittest.TestCase):
    def test_good_fixtures_parse(self):
        for col in COLUMNS:
            for mode in ("icount", "wall"):
                run = good_run(col, mode)
                self.assertEqual(run.errors, [], "%s %s" % (col, mode))
                self.assertEqual(sorted(run.ops), sorted(bench.OPS))
                self.assertEqual(run.backend, bench.BACKEND[col])
                self.assertGreater(run.khz, 0)

    def test_figures_per_op(self):
        run = good_run("pv")
        self.assertEqual(run.ops["null_call"]["iters"], 10000)
        self.assertAlmostEqual(run.per_op("null_call"), 3101428 / 10000)
        self.assertAlmostEqual(run.events_per_op("null_call", "hypercalls"), 1.0)
        self.assertIsNone(good_run("native").events_per_op("null_call", "hypercalls"))

    def test_na_op(self):
        run = good_run("native")
        self.assertEqual(run.ops["evtchn_self"], {"na": "no event channels natively"})
        self.assertIsNone(run.per_op("evtchn_self"))

    def test_prefixes(self):
        # Parapet: only the (d1) lines count; Xen: "(XEN) ", "(d0) " and CR LF removed.
        text = read(GOOD / "pv.icount.log") + "BENCH op=bogus iters=1\n"
        self.assertEqual(bench.parse_log(text, "pv").errors, [])
        wall = read(GOOD / "xen.wall.log")
        self.assertIn("(d0) BENCH-DONE", wall)
        self.assertEqual(bench.parse_log(wall, "xen").errors, [])
        self.assertEqual(bench.guest_lines("(XEN) (d0) BENCH-DONE x\r\n", "xen")[0],
                         (1, "BENCH-DONE x"))
        # The same pv log read as the native column sees "(d1) BENCH" lines: text before.
        self.assertTrue(bench.parse_log(read(GOOD / "pv.icount.log"), "native").errors)

    def errors_after(self, col, match, new):
        text = edit_line(read(GOOD / ("%s.icount.log" % col)), match, new)
        return bench.parse_log(text, col).errors

    def assertError(self, errors, needle):
        self.assertTrue(any(needle in e for e in errors), "%r not in %r" % (needle, errors))

    def test_line_numbers_are_those_of_the_log_file(self):
        errors = self.errors_after("pv", "op=tlb_flush ", "(d1) BENCH op=tlb_flush")
        n = [i for i, l in enumerate(read(GOOD / "pv.icount.log").splitlines(), 1)
             if "op=tlb_flush " in l][0]
        self.assertError(errors, "line %d: malformed BENCH line: 'BENCH op=tlb_flush'" % n)

    def test_missing_op(self):
        errors = self.errors_after("trap", "op=cr3_write ", None)
        self.assertError(errors, "missing op: cr3_write")
        self.assertError(errors, "BENCH-DONE says ops=16 but 15 op lines")

    def test_malformed_op(self):
        for bad in ("(d1) BENCH op=invlpg iters=10000 ticks=12x hypercalls=0 emulations=0 "
                    "exceptions=0 upcalls=0 switches=0",
                    "(d1) BENCH op=invlpg iters=10000 ticks=12011428",
                    '(d1) BENCH op=invlpg na=no quotes',
                    "(d1) BENCH op=invlpg iters=0 ticks=5 hypercalls=0 emulations=0 "
                    "exceptions=0 upcalls=0 switches=0",
                    "(d1) BENCH op=invlpg iters=10 ticks=5 hypercalls=-2 emulations=0 "
                    "exceptions=0 upcalls=0 switches=0"):
            errors = self.errors_after("pv", "op=invlpg ", bad)
            self.assertError(errors, "missing op: invlpg")
            self.assertTrue(any("malformed" in e or "impossible" in e for e in errors), errors)

    def test_unknown_and_duplicate_op(self):
        errors = self.errors_after("native", "op=cpuid ",
                                   "BENCH op=cpuidx iters=1 ticks=1 hypercalls=-1 "
                                   "emulations=-1 exceptions=-1 upcalls=-1 switches=-1")
        self.assertError(errors, "unknown op 'cpuidx'")
        text = read(GOOD / "native.icount.log")
        line = [l for l in text.splitlines() if "op=cpuid " in l][0]
        text = text.replace(line, line + "\n" + line)
        self.assertError(bench.parse_log(text, "native").errors, "op cpuid printed twice")

    def test_bench_error(self):
        errors = self.errors_after("xen", "op=msr_rw ", "BENCH-ERROR msr_rw: #GP on rdmsr")
        self.assertError(errors, "the guest reports BENCH-ERROR msr_rw: #GP on rdmsr")

    def test_no_done_and_no_clock(self):
        errors = self.errors_after("pv", "BENCH-DONE", None)
        self.assertError(errors, "no BENCH-DONE line")
        errors = self.errors_after("pv", "BENCH-CLOCK", None)
        self.assertError(errors, "no BENCH-CLOCK line")
        errors = self.errors_after("pv", "BENCH-CLOCK", "(d1) BENCH-CLOCK khz=fast")
        self.assertError(errors, "malformed BENCH line")

    def test_done_names_the_wrong_backend(self):
        errors = bench.parse_log(read(GOOD / "trap.icount.log"), "pv").errors
        self.assertError(errors, "backend=trap, expected xen for the pv column")

    def test_lines_after_done_and_garbled(self):
        text = read(GOOD / "native.icount.log") + "BENCH op=cpuid na=\"late\"\n"
        self.assertError(bench.parse_log(text, "native").errors, "after BENCH-DONE")
        errors = self.errors_after("native", "op=tlb_flush ", "timer: tBENCH op=tlb_flush x")
        self.assertError(errors, "BENCH line with text before it")

    def test_a_kernel_without_the_benchmark(self):
        for col in ("pv", "xen"):
            run = bench.parse_log(read(NO_BENCH / ("%s.icount.log" % col)), col)
            self.assertEqual(run.errors,
                             ["no BENCH line at all (the kernel never ran init=bench)"])
            self.assertTrue(any('PANIC: cannot start init program "bench"' in l
                                for l in run.tail), run.tail)


class LinuxParsing(unittest.TestCase):
    """linux/init's clock lines (scripts/bench's Linux section)."""

    def assertError(self, errors, needle):
        self.assertTrue(any(needle in e for e in errors), "%r not in %r" % (needle, errors))

    def errors_after(self, col, match, new):
        text = edit_line(read(GOOD / ("linux-%s.icount.log" % col)), match, new)
        return linux_run(col, text).errors

    def test_good_fixtures_parse(self):
        for col in LINUX:
            run = linux_run(col)
            self.assertEqual(run.errors, [], col)
            self.assertEqual(run.release, "6.1.0-56-amd64")
            self.assertEqual(run.resolution_ns, 1)

    def test_figures(self):
        run = linux_run("native")
        self.assertEqual(run.figure("kernel_to_init"), 1758001294)
        self.assertEqual(run.figure("script"), 6219050629 - 1758001294)
        self.assertEqual(run.figure("script_less_sleep"),
                         6219050629 - 1758001294 - (3770832832 - 1769670993))
        self.assertEqual(linux_run("parapet").figure("kernel_to_init"), 3124146144)
        self.assertEqual(linux_run("xen").figure("script"), 8903541789 - 3412372446)

    def test_prefixes(self):
        # Parapet: only "(d1) " lines count; read as native, its lines have text before.
        text = read(GOOD / "linux-parapet.icount.log")
        self.assertError(linux_run("native", text).errors, "clock line with text before it")
        self.assertEqual(linux_run("parapet", text + "parapet-init: uptime-end 9.0\n").errors,
                         [])
        # Xen's console adds its own CR to dom0's CR LF: the log as recorded parses.
        raw = (GOOD / "linux-xen.icount.log").read_bytes()
        self.assertIn(b"\r\r\n", raw)
        self.assertEqual(linux_run("xen", raw.decode()).errors, [])

    def test_missing_lines(self):
        self.assertError(self.errors_after("native", "uptime-end", None), "no uptime-end line")
        self.assertError(self.errors_after("parapet", "uptime-start", None),
                         "no uptime-start line (an initramfs older than the clock lines?")
        self.assertError(self.errors_after("xen", "uptime-sleep", None), "no uptime-sleep line")
        self.assertError(self.errors_after("xen", "all steps passed", None),
                         "the script did not finish")

    def test_malformed_lines(self):
        for bad in ("parapet-init: uptime-start 1,758001294",
                    "parapet-init: uptime-start 1.7580012941",
                    "parapet-init: uptime-start",
                    "parapet-init: uptime-begin 1.758001294"):
            errors = self.errors_after("native", "uptime-start", bad)
            self.assertError(errors, "malformed clock line")
            self.assertError(errors, "no uptime-start line")
        errors = self.errors_after("native", "uptime-sleep", "parapet-init: uptime-sleep 1.7")
        self.assertError(errors, "malformed clock line: 'parapet-init: uptime-sleep 1.7'")
        text = read(GOOD / "linux-native.icount.log")
        line = [l for l in text.splitlines() if "uptime-end" in l][0]
        text = text.replace(line, line + "\n" + line)
        self.assertError(linux_run("native", text).errors, "a second uptime-end line")
        errors = self.errors_after("native", "uptime-end", "[    6.2] parapet-init: uptime-end 6.2")
        self.assertError(errors, "text before it")

    def test_clock_out_of_order(self):
        errors = self.errors_after("native", "uptime-end", "parapet-init: uptime-end 1.5")
        self.assertError(errors, "clock lines out of order")

    def test_a_failed_step(self):
        text = edit_line(read(GOOD / "linux-xen.icount.log"), "tmpfs: ok",
                         "parapet-init: tmpfs: FAILED (md5 'a' then 'b')")
        text = edit_line(text, "all steps passed",
                         "parapet-init: a step failed, rebooting (exit status 1)")
        errors = linux_run("xen", text).errors
        self.assertEqual(errors, ["the script reports parapet-init: tmpfs: FAILED "
                                  "(md5 'a' then 'b')"])

    def test_centisecond_clock(self):
        # Without /proc/timer_list, linux/init falls back to /proc/uptime's two decimals.
        text = read(GOOD / "linux-native.icount.log")
        for old, new in (("uptime-start 1.758001294", "uptime-start 1.75"),
                         ("uptime-sleep 1.769670993 3.770832832", "uptime-sleep 1.77 3.77"),
                         ("uptime-end 6.219050629", "uptime-end 6.22")):
            text = text.replace(old, new)
        run = linux_run("native", text)
        self.assertEqual(run.errors, [])
        self.assertEqual(run.resolution_ns, 10 ** 7)
        self.assertEqual(run.figure("kernel_to_init"), 1750000000)
        self.assertEqual(run.figure("script_less_sleep"), 6220000000 - 1750000000 - 2000000000)

    def test_linux_that_never_reaches_init(self):
        text = "[    0.9] Kernel panic - not syncing: VFS: Unable to mount root fs\n"
        self.assertEqual(linux_run("native", text).errors,
                         ["no parapet-init line at all (Linux never ran /init)"])


class Harness(unittest.TestCase):
    """scripts/bench --from-logs over copies of the fixtures."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-test-"))
        self.logs = self.tmp / "logs"
        shutil.copytree(GOOD, self.logs)
        self.out = self.tmp / "out"

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_bench(self, *args):
        so, se = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            rc = bench.main(["--from-logs", str(self.logs), "--out", str(self.out)] + list(args))
        return rc, so.getvalue(), se.getvalue()

    def edit(self, name, match, new):
        p = self.logs / name
        p.write_text(edit_line(p.read_text(), match, new))

    def test_full_table_and_files(self):
        rc, out, err = self.run_bench()
        self.assertEqual(rc, 0, out + err)
        for op in bench.OPS:
            self.assertRegex(out, r"(?m)^%s " % op)
        for title in ("native", "pv", "trap", "Xen 4.17 pv", "pv/native", "trap/native",
                      "trap/pv", "pv/Xen", "events per op, pv", "events per op, trap"):
            self.assertIn(title, out)
        self.assertIn("QEMU emulator version 7.2.22", out)
        self.assertIn("icount shift=0,align=off,sleep=off", out)
        self.assertIn("TCG wall time, not hardware", out)
        self.assertIn("n/a: evtchn_self on native: no event channels natively", out)
        # The goals, as figures: null_call 310.1428 vs 905.1428; syscall 150.1/120.1.
        self.assertIn("null hypercall: Parapet 310.1 instr vs Xen 905.1 (goal <= 0.5x): met", out)
        self.assertIn("every op's pv path shorter on Parapet than Xen: not shorter: "
                      "loop_empty 1.00x, irq_pair 1.00x, ctx_switch 1.08x", out)
        self.assertIn("syscall round trip within 1.30x of native: pv 150.1 instr vs native "
                      "120.1: met (1.25x)", out)
        self.assertIn("spawn_exit within 1.80x of native (Xen 2003): pv 70015 instr vs native "
                      "40000: met (1.75x)", out)
        self.assertIn("page_fault within 1.92x of native (Xen 2003): pv 1901 instr vs native "
                      "900.1: not met (2.11x)", out)
        data = json.loads((self.out / "bench.json").read_text())
        self.assertTrue(data["ok"])
        self.assertEqual(data["environment"]["commit"], "fixture")
        self.assertAlmostEqual(data["ratios"]["null_call"]["trap/pv"],
                               6401428 / 3101428)
        self.assertAlmostEqual(data["icount"]["trap"]["ops"]["pte_batch512"]
                               ["emulations_per_op"], 512)
        self.assertAlmostEqual(data["wall"]["pv"]["ops"]["null_call"]["ns_per_op"],
                               21731428 / 10000 * 1e6 / 2995200)
        with open(self.out / "bench.csv") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 2 * 4 * 16 + 3 * 3)
        self.assertEqual({r["commit"] for r in rows}, {"fixture"})
        linux = [r for r in rows if r["section"] == "linux"]
        self.assertEqual(len(linux), 9)
        row = [r for r in linux if r["column"] == "parapet" and r["op"] == "kernel_to_init"][0]
        self.assertEqual((row["ticks"], row["instructions_per_op"], row["mode"]),
                         ("3124146144", "3124146144", "icount"))
        self.assertEqual({r["icount"] for r in rows if r["mode"] == "wall"}, {"off"})
        if importlib.util.find_spec("matplotlib"):
            self.assertTrue((self.out / "bench.png").is_file())
        else:
            self.assertIn("chart skipped", err)

    def test_linux_table_and_files(self):
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 0, out)
        self.assertIn("512 MiB of guest memory in every column", out)
        self.assertRegex(out, r"(?m)^kernel start to /init +1,758,001,294 +3,124,146,144 +"
                         r"3,412,372,446 \| +1\.78 +1\.94 +0\.92$")
        self.assertRegex(out, r"(?m)^the script +4,461,049,335 +5,360,535,896 +5,491,169,343 ")
        self.assertRegex(out, r"(?m)^  less its sleep 2 +2,459,887,496 ")
        self.assertIn("clock: native 1 ns (/proc/timer_list)", out)
        self.assertIn("Parapet under 1.1x native and below Xen: not met (kernel start to /init "
                      "1.78x native, 0.92x Xen; the script 1.20x native, 0.98x Xen)", out)
        data = json.loads((self.out / "bench.json").read_text())["linux"]
        self.assertEqual(data["memory_mib"], 512)
        self.assertEqual(data["runs"]["xen"]["instructions"]["kernel_to_init"], 3412372446)
        self.assertEqual(data["runs"]["native"]["sleep_ns"], [1769670993, 3770832832])
        self.assertAlmostEqual(data["ratios"]["script"]["Parapet/Xen"],
                               5360535896 / 5491169343)
        self.assertIs(data["goal"]["met"], False)

    def test_linux_goal_met(self):
        for old, new in (("uptime-start 3.124146144", "uptime-start 1.900000000"),
                         ("uptime-sleep 3.150891320 5.153819608",
                          "uptime-sleep 2.000000000 4.000000000"),
                         ("uptime-end 8.484682040", "uptime-end 6.600000000")):
            self.edit("linux-parapet.icount.log", old, "(d1) parapet-init: " + new)
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 0, out)
        self.assertIn("Parapet under 1.1x native and below Xen: met (kernel start to /init "
                      "1.08x native, 0.56x Xen; the script 1.05x native, 0.86x Xen)", out)

    def test_a_missing_linux_column_fails(self):
        (self.logs / "linux-xen.icount.log").unlink()
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 1)
        self.assertIn("Linux Xen 4.17 (icount): Linux column xen missing: no log "
                      "linux-xen.icount.log", out)
        self.assertIn("FAILED: 1 boot", out)
        self.assertIn("Parapet under 1.1x native and below Xen: not measured", out)
        self.assertFalse(json.loads((self.out / "bench.json").read_text())["ok"])

    def test_a_malformed_linux_line_fails(self):
        self.edit("linux-native.icount.log", "uptime-end", "parapet-init: uptime-end 6.2x")
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 1)
        self.assertIn("Linux native (icount): line 16: malformed clock line: "
                      "'parapet-init: uptime-end 6.2x'", out)
        self.assertIn("log: ", out)

    def test_no_linux_and_only_linux(self):
        rc, out, _ = self.run_bench("--no-linux")
        self.assertEqual(rc, 0, out)
        self.assertNotIn("Linux", out)
        self.assertIsNone(json.loads((self.out / "bench.json").read_text())["linux"])
        for f in self.logs.glob("*.wall.log"):
            f.unlink()
        rc, out, _ = self.run_bench("--only", "linux")
        self.assertEqual(rc, 0, out)
        self.assertNotIn("Instructions per operation", out)
        self.assertIn("kernel start to /init", out)
        rc, out, _ = self.run_bench("--only", "pv,linux-parapet", "--no-wall")
        self.assertEqual(rc, 0, out)
        self.assertIn("Parapet under 1.1x native and below Xen: not measured", out)

    def test_linux_section_skipped(self):
        meta = json.loads((self.logs / "run.json").read_text())
        meta["linux"]["section_skipped"] = "Debian's kernel could not be fetched (no network)"
        (self.logs / "run.json").write_text(json.dumps(meta))
        for f in self.logs.glob("linux-*"):
            f.unlink()
        rc, out, err = self.run_bench()
        self.assertEqual(rc, 0, out)
        self.assertIn("Linux section skipped: Debian's kernel could not be fetched (no network)",
                      out)
        self.assertIn("Linux section skipped", err)

    def test_a_missing_column_fails(self):
        (self.logs / "trap.icount.log").unlink()
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 1)
        self.assertIn("column trap missing: no log trap.icount.log", out)
        self.assertIn("FAILED: 1 boot", out)
        self.assertFalse(json.loads((self.out / "bench.json").read_text())["ok"])

    def test_a_missing_wall_log_fails(self):
        (self.logs / "xen.wall.log").unlink()
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 1)
        self.assertIn("Xen 4.17 pv (wall): column xen missing", out)

    def test_a_missing_op_fails(self):
        self.edit("xen.icount.log", "op=page_fault ", None)
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 1)
        self.assertIn("Xen 4.17 pv (icount): missing op: page_fault", out)
        self.assertIn("log: ", out)

    def test_a_malformed_op_fails(self):
        self.edit("native.icount.log", "op=syscall ", "BENCH op=syscall iters=10000 ticks=")
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 1)
        self.assertIn("malformed BENCH line", out)

    def test_only_and_no_wall(self):
        for f in self.logs.glob("*.wall.log"):
            f.unlink()
        (self.logs / "trap.icount.log").unlink()
        rc, out, _ = self.run_bench("--only", "native,pv,xen", "--no-wall")
        self.assertEqual(rc, 0, out)
        self.assertNotIn("TCG wall time", out)
        self.assertNotIn("events per op, trap", out)
        self.assertIn("null hypercall: Parapet 310.1 instr vs Xen 905.1", out)

    def test_only_rejects_unknown_columns(self):
        with self.assertRaises(SystemExit) as e, contextlib.redirect_stderr(io.StringIO()):
            bench.main(["--only", "pv,kvm", "--from-logs", str(self.logs)])
        self.assertEqual(e.exception.code, 2)

    def test_repeat(self):
        for col in COLUMNS + ["linux-" + c for c in LINUX]:
            shutil.copy(self.logs / ("%s.icount.log" % col), self.logs / ("%s.icount.2.log" % col))
        rc, out, _ = self.run_bench("--repeat", "2")
        self.assertEqual(rc, 0, out)
        self.assertIn("Repeat: two runs give identical instruction counts", out)
        self.assertIn("Linux Parapet, Linux Xen 4.17)", out)
        self.edit("pv.icount.2.log", "op=cr3_write ", "(d1) BENCH op=cr3_write iters=10000 "
                  "ticks=7021429 hypercalls=10000 emulations=0 exceptions=0 upcalls=0 switches=0")
        rc, out, _ = self.run_bench("--repeat", "2")
        self.assertEqual(rc, 1)
        self.assertIn("pv cr3_write: run 1 702.1, run 2 702.1 instr/op", out)
        self.assertFalse(json.loads((self.out / "bench.json").read_text())["repeat"]["identical"])
        shutil.copy(self.logs / "pv.icount.log", self.logs / "pv.icount.2.log")
        self.edit("linux-parapet.icount.2.log", "uptime-end",
                  "(d1) parapet-init: uptime-end 8.484682041")
        rc, out, _ = self.run_bench("--repeat", "2")
        self.assertEqual(rc, 1)
        self.assertIn("Linux Parapet the script: run 1 5,360,535,896, run 2 5,360,535,897 "
                      "instructions", out)

    def test_xen_skipped(self):
        meta = json.loads((self.logs / "run.json").read_text())
        meta["skipped"] = {"xen": "build/xen/xen-4.17.elf could not be built"}
        (self.logs / "run.json").write_text(json.dumps(meta))
        for f in self.logs.glob("xen.*"):
            f.unlink()
        rc, out, err = self.run_bench()
        self.assertEqual(rc, 0, out)
        self.assertIn("Xen 4.17 column skipped: build/xen/xen-4.17.elf could not be built", err)
        self.assertIn("null hypercall: Parapet vs Xen (goal <= 0.5x): not measured", out)
        self.assertNotIn("Xen 4.17 pv ns", out)

    def test_without_run_json(self):
        (self.logs / "run.json").unlink()
        rc, out, _ = self.run_bench()
        self.assertEqual(rc, 0, out)
        self.assertIn("unknown QEMU (no run.json)", out)


class Booting(unittest.TestCase):
    """The live path: boots through fake-parapet and fake-qemu, which replay fixtures."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-boot-"))
        self.build = self.tmp / "build"
        for f in ("parapet.bin", "guest-port/kernel.elf", "guest-port/kernel.bin",
                  "xen/xen-4.17.elf", "linux-cache/vmlinux", "linux-cache/vmlinuz",
                  "linux-cache/initramfs.cpio.gz"):
            (self.build / f).parent.mkdir(parents=True, exist_ok=True)
            (self.build / f).write_bytes(b"")
        self.out = self.tmp / "out"
        self.env = {"PARAPET_BENCH_LAUNCHER": str(HERE / "fake-parapet"),
                    "PARAPET_BENCH_QEMU": str(HERE / "fake-qemu"),
                    "PARAPET_BENCH_MAKE": "false", "PARAPET_BENCH_FETCH": "true",
                    "FAKE_FIXTURES": str(GOOD)}
        self.saved = dict(os.environ)
        os.environ.update(self.env)

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.saved)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_bench(self, *args):
        so, se = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            rc = bench.main(["--build", str(self.build), "--out", str(self.out),
                             "--timeout", "60"] + list(args))
        return rc, so.getvalue(), se.getvalue()

    def test_boots_all_columns_and_logs_rebuild_the_table(self):
        rc, out, err = self.run_bench()
        self.assertEqual(rc, 0, out + err)
        self.assertIn("QEMU emulator version 0.0.0 (the tests' stand-in)", out)
        logs = self.out / "logs"
        meta = json.loads((logs / "run.json").read_text())
        boots = meta["boots"]
        self.assertEqual(sorted(boots), sorted(["%s.%s" % (c, m) for c in COLUMNS
                                                for m in ("icount", "wall")]
                                               + ["linux-%s.icount" % c for c in LINUX]))
        elf = str(self.build / "guest-port/kernel.elf")
        kbin = str(self.build / "guest-port/kernel.bin")
        native = boots["native.icount"]["command"]
        self.assertEqual(native[1:3], ["native", "--icount"])
        self.assertEqual(native[-2:], [kbin, "init=bench"])
        self.assertEqual(boots["pv.icount"]["command"][-1], elf + ":pvops=xen init=bench")
        self.assertEqual(boots["trap.icount"]["command"][-1],
                         elf + ":dom.trap pvops=trap init=bench")
        self.assertIn("--icount", boots["pv.icount"]["command"])
        self.assertNotIn("--icount", boots["pv.wall"]["command"])
        xen = boots["xen.icount"]["command"]
        for pair in (["-icount", "shift=0,align=off,sleep=off"],
                     ["-rtc", "base=2025-01-01T00:00:00,clock=vm"],
                     ["-cpu", "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+x2apic"],
                     ["-initrd", elf + " pvops=xen init=bench"],
                     ["-append", "console=com1 dom0_mem=64M noreboot"]):
            i = xen.index(pair[0])
            self.assertEqual(xen[i:i + 2], pair)
        self.assertNotIn("-icount", boots["xen.wall"]["command"])
        cache = self.build / "linux-cache"
        native = boots["linux-native.icount"]["command"]
        for pair in (["-kernel", str(cache / "vmlinuz")],
                     ["-initrd", str(cache / "initramfs.cpio.gz")],
                     ["-append", "console=ttyS0"], ["-m", "512"], ["-cpu", "qemu64"],
                     ["-icount", "shift=0,align=off,sleep=off"]):
            i = native.index(pair[0])
            self.assertEqual(native[i:i + 2], pair)
        pv = boots["linux-parapet.icount"]["command"]
        self.assertEqual(pv[-3:], [str(cache / "vmlinux") + ":dom.mem=512 console=hvc0",
                                   "--initrd", str(cache / "initramfs.cpio.gz")])
        self.assertEqual(pv[pv.index("--mem"):pv.index("--mem") + 2], ["--mem", "1024"])
        self.assertIn("--icount", pv)
        xen = boots["linux-xen.icount"]["command"]
        for pair in (["-append", "console=com1 dom0_mem=512M,max:512M noreboot"],
                     ["-initrd", "%s console=hvc0,%s" % (cache / "vmlinux",
                                                         cache / "initramfs.cpio.gz")],
                     ["-m", "1024"], ["-rtc", "base=2025-01-01T00:00:00,clock=vm"]):
            i = xen.index(pair[0])
            self.assertEqual(xen[i:i + 2], pair)
        for name in boots:
            self.assertIn("uptime-end" if name.startswith("linux-") else "BENCH-DONE",
                          (logs / (name + ".log")).read_text())
        first = json.loads((self.out / "bench.json").read_text())
        so = io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(io.StringIO()):
            rc = bench.main(["--from-logs", str(logs), "--out", str(self.tmp / "again")])
        self.assertEqual(rc, 0, so.getvalue())
        again = json.loads((self.tmp / "again" / "bench.json").read_text())
        for key in ("environment", "ratios", "goals", "icount", "linux"):
            self.assertEqual(first[key], again[key], key)

    def test_a_failing_boot_is_reported_with_its_log(self):
        os.environ["FAKE_STATUS_pv"] = "3"
        rc, out, _ = self.run_bench("--only", "native,pv", "--no-wall")
        self.assertEqual(rc, 1)
        self.assertIn("pv (icount): boot failed: the kernel crashed or a domain did not start "
                      "(status 3)", out)
        self.assertIn("logs/pv.icount.log", out)

    def test_xen_crash_and_timeout(self):
        os.environ["FAKE_XEN_LOG"] = str(NO_BENCH / "xen.icount.log")
        rc, out, _ = self.run_bench("--only", "xen", "--no-wall")
        self.assertEqual(rc, 1)
        self.assertIn("boot failed: Xen: Hardware Dom0 crashed", out)
        self.assertIn("no BENCH line at all", out)
        os.environ["FAKE_XEN_LOG"] = "/dev/null"
        so = io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(io.StringIO()):
            rc = bench.main(["--build", str(self.build), "--out", str(self.out),
                             "--timeout", "2", "--only", "xen", "--no-wall"])
        self.assertEqual(rc, 1)
        self.assertIn("boot failed: timed out after 2 s", so.getvalue())

    def test_xen_image_that_cannot_be_built_skips_the_column(self):
        (self.build / "xen/xen-4.17.elf").unlink()
        rc, out, err = self.run_bench("--no-wall")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Xen 4.17 column skipped: ", err)
        self.assertIn("make build/xen/xen-4.17.elf", err)
        self.assertIn("Linux Xen 4.17 column skipped: ", err)
        self.assertIn("(Linux Xen 4.17 column skipped: ", out)
        self.assertIn("Parapet under 1.1x native and below Xen: not measured", out)
        header = [l for l in out.splitlines() if l.startswith("op ")][0]
        self.assertNotIn("Xen 4.17 pv", header)
        self.assertIn("not measured", out)

    def test_linux_that_cannot_be_fetched_is_skipped(self):
        fetch = self.tmp / "fetch"
        fetch.write_text("#!/bin/sh\necho 'fetch-linux: cannot download linux-image-6.1.0-56-"
                         "amd64 (no network)' >&2\nexit 1\n")
        fetch.chmod(0o755)
        os.environ["PARAPET_BENCH_FETCH"] = str(fetch)
        rc, out, err = self.run_bench("--only", "native,linux", "--no-wall")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Linux section skipped: Debian's kernel could not be fetched "
                      "(fetch-linux: cannot download linux-image-6.1.0-56-amd64", out)
        self.assertIn("'make linux' fetches it", out)
        boots = json.loads((self.out / "logs" / "run.json").read_text())["boots"]
        self.assertEqual(sorted(boots), ["native.icount"])

    def test_linux_boot_failures(self):
        os.environ["FAKE_STATUS_linux_parapet"] = "1"
        rc, out, _ = self.run_bench("--only", "linux")
        self.assertEqual(rc, 1)
        self.assertIn("Linux Parapet (icount): boot failed: exit status 1", out)
        self.assertIn("Parapet under 1.1x native and below Xen: not measured", out)
        # A QEMU that lingers after the script's last line is stopped; one that prints
        # nothing runs into the timeout.
        os.environ["FAKE_LINUX_HANG"] = "1"
        rc, out, _ = self.run_bench("--only", "linux-native")
        self.assertEqual(rc, 0, out)
        os.environ["FAKE_LINUX_LOG"] = str(NO_BENCH / "xen.icount.log")
        so = io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(io.StringIO()):
            rc = bench.main(["--build", str(self.build), "--out", str(self.out),
                             "--timeout", "2", "--only", "linux-native,linux-xen"])
        self.assertEqual(rc, 1)
        self.assertIn("Linux native (icount): boot failed: timed out after 2 s", so.getvalue())
        self.assertIn("Linux Xen 4.17 (icount): boot failed: Xen: Hardware Dom0 crashed",
                      so.getvalue())

    def test_repeat_boots_twice(self):
        rc, out, _ = self.run_bench("--only", "pv,trap", "--no-wall", "--repeat", "2")
        self.assertEqual(rc, 0, out)
        self.assertIn("Repeat: two runs give identical instruction counts", out)
        self.assertTrue((self.out / "logs" / "trap.icount.2.log").is_file())

    def test_missing_build_is_a_usage_error(self):
        (self.build / "parapet.bin").unlink()
        rc, _, err = self.run_bench("--only", "pv")
        self.assertEqual(rc, 2)
        self.assertIn("parapet.bin not found: build with 'make' first", err)


if __name__ == "__main__":
    unittest.main()
