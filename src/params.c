/* params.c - the default generation parameters (ponder.h). Kept apart from
 * the session so the UI's test programs, which run on a fake engine, share
 * the real defaults instead of a copy. */
#include "ponder.h"

#include <string.h>

void pd_params_default(pd_params *p)
{
    memset(p, 0, sizeof *p);
    p->temperature = 0.6f;
    p->top_k = 0;
    p->top_p = 0.95f;
    p->min_p = 0.0f;
    p->repeat_penalty = 1.0f;
    p->repeat_last_n = 64;
    p->seed = 42;
    p->max_tokens = 2048;
    p->tip_on = true;
    p->tip_alpha = 3.0f;
    p->tip_beta = 600;
    p->tip_groups = PD_GROUP_SWITCH;
    p->tip_schedule = PD_TIP_STEP;
}
