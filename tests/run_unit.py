# SPDX-License-Identifier: BSD-3-Clause
"""Runs a C unit-test program with EAL arguments under its own --file-prefix,
and removes that prefix's runtime files afterwards, pass or fail.

    run_unit.py PROGRAM [EAL ARGS...]
"""

import subprocess
import sys

import labtest


def main():
    prog, args = sys.argv[1], sys.argv[2:]
    t = labtest.Test(prog.rsplit("/", 1)[-1])
    argv = [prog, "--no-pci", f"--file-prefix={t.prefix()}"] + args
    try:
        rc = subprocess.run(argv, timeout=120).returncode
    except subprocess.TimeoutExpired:
        print(f"FAIL {prog} did not finish in 120 s")
        rc = 1
    t.cleanup()
    sys.exit(rc)


if __name__ == "__main__":
    main()
