/* eval.c - placeholder
 * (stub: not written yet) */
typedef int pd_placeholder_unit;
