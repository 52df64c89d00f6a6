#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 9, hardware path: TAP rules as kernel tc flower filters.

Natively where the host kernel lets TAP create rules; else inside the
user-mode Linux kernel (./scripts/labenv.sh uml-run), whose modules have
sch_multiq, cls_flower and act_skbedit; else skipped, saying why.
"""
import os
import shutil
import subprocess
import sys

import labtest

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.join(HERE, "hw_scenarios.py")
LABENV = os.path.join(labtest.source_dir(), "scripts", "labenv.sh")


def native_tap_flows(t):
    """True when net_tap on this kernel can create a rule (probe in the program)."""
    if not os.path.exists("/dev/net/tun") or not labtest.hugetlbfs_mounts():
        return False, "no /dev/net/tun or no hugetlbfs"
    p = t.prefix("probe")
    eal = t.eal("0-1", p, vdevs=[f"net_tap0,iface=l9p{os.getpid() % 100000}"])
    proc = t.dpdk("lab9_flow_classifier", eal, app=["--probe"])
    rc = proc.wait(30)
    if rc is None:
        proc.kill()
    out = proc.output()
    return "flow mode: hardware" in out, out


def uml_available():
    kernel = shutil.which("linux.uml")
    if not kernel:
        return False, "no linux.uml (package user-mode-linux)"
    if not (shutil.which("insmod") or os.path.exists("/sbin/insmod")):
        return False, "no insmod (package kmod)"
    ver = subprocess.run([kernel, "--version"], capture_output=True, text=True).stdout.split()
    moddir = f"/usr/lib/uml/modules/{ver[-1] if ver else '?'}"
    if not os.path.isdir(moddir):
        return False, f"no UML modules in {moddir}"
    return True, moddir


def main():
    t = labtest.Test("lab9_hardware")
    t.require_root()
    native, why_native = native_tap_flows(t)
    if native:
        print("host kernel: TAP creates flow rules natively; running the scenarios here")
        rc = subprocess.run([sys.executable, SCEN], timeout=400).returncode
    else:
        ok, why_uml = uml_available()
        if not ok:
            t.skip("neither native TAP flow support (the host kernel lacks sch_multiq/"
                   f"cls_flower/act_skbedit) nor a UML kernel ({why_uml})")
        print("host kernel: TAP cannot create flow rules; running the scenarios in UML")
        # The runner itself: CMD's stdout, stderr and exit status come back.
        r = t.run([LABENV, "uml-run", "sh", "-c",
                   "echo out-$(uname -r); grep -c cls_flower /proc/modules >&2; exit 3"],
                  timeout=120)
        t.check(r.returncode == 3 and "out-" in r.stdout and r.stderr.strip().endswith("1"),
                f"uml-run returns CMD's status (3), stdout and stderr (rc={r.returncode})",
                r.stdout + r.stderr)
        env = dict(os.environ, UML_TIMEOUT="400")
        rc = subprocess.run([LABENV, "uml-run", "/usr/bin/python3", SCEN, "--uml"],
                            env=env, timeout=480).returncode
    t.check(rc == 0, f"hardware scenarios pass (rc={rc})")
    t.done()


if __name__ == "__main__":
    main()
