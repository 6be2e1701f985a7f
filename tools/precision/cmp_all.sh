#!/bin/sh
# cmp_all.sh PD_DIR LCPP_DIR CALL NAMES...: per tensor, the tokens whose row
# is not bit-identical between ponder and llama.cpp (first 8) and the worst diff
P=$1; L=$2; C=$3; shift 3
for n in "$@"; do
  python3 "$(dirname "$0")/cmp_dump.py" "$P" "$L" "$C" "$n" | awk -v n="$n" '
    { split($9, e, "/"); if (e[1] != e[2]) { bad++; if (bad <= 8) toks = toks " " $3; if ($5 + 0 > worst) worst = $5 + 0 } }
    END { printf "%-22s non-exact rows %d%s%s\n", n, bad + 0, bad ? ": tok" toks : "", bad ? sprintf(" (max %g)", worst) : "" }'
done
