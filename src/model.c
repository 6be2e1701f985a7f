/* model.c - architectures: hyperparameters + weight binding (stub). */
#include "ponder.h"
#include <string.h>

void pd_model_opts_default(pd_model_opts *o)
{
    memset(o, 0, sizeof *o);
    o->backend = PD_BACKEND_AUTO;
}

pd_status pd_model_open(const char *path, const pd_model_opts *opts, pd_model **out)
{
    (void)opts;
    *out = NULL;
    return pd_fail(PD_EUNSUPPORTED, "%s: models cannot be loaded yet", path);
}

void pd_model_close(pd_model *m) { (void)m; }
const char *pd_model_name(const pd_model *m) { (void)m; return "?"; }
const char *pd_model_backend_name(const pd_model *m) { (void)m; return "cpu"; }
int pd_model_n_ctx(const pd_model *m) { (void)m; return 0; }
