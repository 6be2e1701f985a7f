/* events.c - event names and their JSONL form (DESIGN.md §2) (stub). */
#include "ponder.h"
typedef int pd_placeholder_unit;
