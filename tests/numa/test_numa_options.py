# SPDX-License-Identifier: BSD-3-Clause
"""numa_check refuses bad options and bad topology files: exit 1 (not the
--strict code 2, not a crash), one message line naming the option or file."""

import os

import labtest

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "topologies", "two_socket_right.json")

BAD_FILES = {
    # name: (content, text the one-line message must contain)
    "syntax": ('{"sockets": 2, "lcores": [', "line "),
    "not_object": ("[1, 2]", "not a JSON object"),
    "no_sockets": ('{"lcores": [{"lcore": 0, "socket": 0}]}', 'missing "sockets"'),
    "sockets_zero": ('{"sockets": 0, "lcores": [{"lcore": 0, "socket": 0}]}', "sockets"),
    "sockets_string": ('{"sockets": "2", "lcores": [{"lcore": 0, "socket": 0}]}',
                       "not an integer"),
    "unknown_key": ('{"sockets": 1, "socekts": 2, "lcores": [{"lcore": 0, "socket": 0}]}',
                    'unknown key "socekts"'),
    "no_lcores": ('{"sockets": 1}', '"lcores" must be'),
    "lcore_socket_range": ('{"sockets": 2, "lcores": [{"lcore": 0, "socket": 2}]}',
                           "lcores[0].socket: 2 is not in 0-1"),
    "lcore_twice": ('{"sockets": 1, "lcores": [{"lcore": 0, "socket": 0}, '
                    '{"lcore": 0, "socket": 0}]}', "listed twice"),
    "lcore_negative": ('{"sockets": 1, "lcores": [{"lcore": -1, "socket": 0}]}',
                       "lcores[0].lcore"),
    "port_socket_range": ('{"sockets": 1, "lcores": [{"lcore": 0, "socket": 0}], '
                          '"ports": [{"port": 0, "socket": 3}]}', "ports[0].socket"),
    "poller_unknown": ('{"sockets": 1, "lcores": [{"lcore": 0, "socket": 0}], '
                       '"ports": [{"port": 0, "socket": 0, "pollers": [5]}]}',
                       "lcore 5 is not in"),
    "main_unknown": ('{"sockets": 1, "main_lcore": 4, "lcores": [{"lcore": 0, "socket": 0}]}',
                     "main_lcore 4"),
    "distances_shape": ('{"sockets": 2, "lcores": [{"lcore": 0, "socket": 0}], '
                        '"distances": [[10, 20]]}', '"distances" must be'),
    "duplicate_key": ('{"sockets": 1, "sockets": 2, "lcores": [{"lcore": 0, "socket": 0}]}',
                      "duplicate"),
    "empty": ("", "line "),
}

BAD_OPTIONS = [
    # (app args, text the message must contain)
    (["--bogus"], "unknown option '--bogus'"),
    (["--reps", "0"], "--reps"),
    (["--reps", "many"], "--reps"),
    (["--buffer-mib", "-1"], "--buffer-mib"),
    (["--loads", "10"], "--loads"),
    (["--queues", "65"], "--queues"),
    (["--json"], "--json needs a value"),
    (["--topology"], "--topology needs a value"),
    (["--pollers", "5:1"], "--pollers: port 5 does not exist"),
    (["--pollers", "0:9"], "--pollers: lcore 9 is not enabled"),
    (["--pollers", "0"], "--pollers: '0' is not PORT:LCORES"),
    (["--pollers", "0:3-1"], "--pollers"),
    (["--latency"], "cannot be combined with --topology"),
    (["stray"], "unexpected argument 'stray'"),
]


def run(t, tag, app):
    eal = t.eal("0", t.prefix(tag), extra=["--no-huge", "-m", "64"])
    return t.run([labtest.program("numa_check")] + eal + ["--"] + app, timeout=60)


def message_lines(res):
    """Lines numa_check itself logged (EAL chatter aside)."""
    return [line for line in (res.stdout + res.stderr).splitlines()
            if line.startswith("numa: ") and "primary process" not in line]


def main():
    t = labtest.Test("numa_options")
    for name, (content, want) in BAD_FILES.items():
        path = os.path.join(t.workdir, f"{name}.json")
        with open(path, "w") as f:
            f.write(content)
        res = run(t, name, ["--topology", path])
        lines = message_lines(res)
        t.check(res.returncode == 1, f"topology file '{name}': exit 1", f"exit {res.returncode}")
        t.check(len(lines) == 1 and want in lines[0] and path in lines[0],
                f"topology file '{name}': one line naming the file and '{want}'",
                "\n".join(lines) or res.stderr[-800:])
    for i, path in enumerate(["/nonexistent/topo.json", HERE]):
        res = run(t, f"missing{i}", ["--topology", path])
        lines = message_lines(res)
        t.check(res.returncode == 1 and len(lines) == 1 and path in lines[0],
                f"unreadable topology {path}: exit 1, one line", "\n".join(lines))
    for i, (app, want) in enumerate(BAD_OPTIONS):
        res = run(t, f"opt{i}", ["--topology", GOOD] + app)
        lines = message_lines(res)
        t.check(res.returncode == 1, f"{' '.join(app)}: exit 1", f"exit {res.returncode}")
        t.check(len(lines) == 1 and want in lines[0], f"{' '.join(app)}: one line with '{want}'",
                "\n".join(lines) or res.stderr[-800:])
    res = run(t, "help", ["--help"])
    t.check(res.returncode == 0 and "--pollers PORT:LCORES" in res.stdout, "--help exits 0")
    t.done()


if __name__ == "__main__":
    main()
