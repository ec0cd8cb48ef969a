"""
tests/bench/test_bench.py: the harness of `make bench` (scripts/bench) without the guest
side. It reads recorded logs (fixtures/good: all four columns, icount and wall, shaped like
real serial logs; fixtures/no-bench: real boots of a kernel that has no bench program) and
must fail when a column, an op or a line is missing or malformed. The booting code runs
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


def read(path):
    return Path(path).read_text()


def good_run(col, mode="icount"):
    text = read(GOOD / ("%s.%s.log" % (col, mode)))
    return bench.parse_log(text, col, mode)


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
        self.assertEqual(len(rows), 2 * 4 * 16)
        self.assertEqual({r["commit"] for r in rows}, {"fixture"})
        self.assertEqual({r["icount"] for r in rows if r["mode"] == "wall"}, {"off"})
        if importlib.util.find_spec("matplotlib"):
            self.assertTrue((self.out / "bench.png").is_file())
        else:
            self.assertIn("chart skipped", err)

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
        for col in COLUMNS:
            shutil.copy(self.logs / ("%s.icount.log" % col), self.logs / ("%s.icount.2.log" % col))
        rc, out, _ = self.run_bench("--repeat", "2")
        self.assertEqual(rc, 0, out)
        self.assertIn("Repeat: two runs give identical instruction counts", out)
        self.edit("pv.icount.2.log", "op=cr3_write ", "(d1) BENCH op=cr3_write iters=10000 "
                  "ticks=7021429 hypercalls=10000 emulations=0 exceptions=0 upcalls=0 switches=0")
        rc, out, _ = self.run_bench("--repeat", "2")
        self.assertEqual(rc, 1)
        self.assertIn("pv cr3_write: run 1 702.1, run 2 702.1 instr/op", out)
        self.assertFalse(json.loads((self.out / "bench.json").read_text())["repeat"]["identical"])

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
                  "xen/xen-4.17.elf"):
            (self.build / f).parent.mkdir(parents=True, exist_ok=True)
            (self.build / f).write_bytes(b"")
        self.out = self.tmp / "out"
        self.env = {"PARAPET_BENCH_LAUNCHER": str(HERE / "fake-parapet"),
                    "PARAPET_BENCH_QEMU": str(HERE / "fake-qemu"),
                    "PARAPET_BENCH_MAKE": "false", "FAKE_FIXTURES": str(GOOD)}
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
        self.assertEqual(sorted(boots), sorted("%s.%s" % (c, m) for c in COLUMNS
                                               for m in ("icount", "wall")))
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
        for name in boots:
            self.assertIn("BENCH-DONE", (logs / (name + ".log")).read_text())
        first = json.loads((self.out / "bench.json").read_text())
        so = io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(io.StringIO()):
            rc = bench.main(["--from-logs", str(logs), "--out", str(self.tmp / "again")])
        self.assertEqual(rc, 0, so.getvalue())
        again = json.loads((self.tmp / "again" / "bench.json").read_text())
        for key in ("environment", "ratios", "goals", "icount"):
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
        header = [l for l in out.splitlines() if l.startswith("op ")][0]
        self.assertNotIn("Xen 4.17 pv", header)
        self.assertIn("not measured", out)

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
