#!/usr/bin/python3
"""check_holds.py LOG...: no two holds overlap, and generations rise with time.

Each line of each LOG is "GENERATION START END" (nanoseconds).  Prints one
line per problem and exits 1 when there is one; else prints the count.
"""
import sys

holds = []
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            gen, start, end = line.split()
            holds.append((int(start), int(end), gen, path))
holds.sort()
problems = 0
for (s1, e1, g1, p1), (s2, e2, g2, p2) in zip(holds, holds[1:]):
    if s2 < e1:
        print(f"overlap: {p1} gen {g1} [{s1},{e1}] and {p2} gen {g2} [{s2},{e2}]")
        problems += 1
    if g1 == "?" or g2 == "?" or int(g2) <= int(g1):
        print(f"generation not rising: {g1} then {g2}")
        problems += 1
print(f"{len(holds)} holds checked, {problems} problems")
sys.exit(1 if problems else 0)
