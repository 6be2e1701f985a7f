/* eval.h (stub) */
#ifndef PD_SRC_EVAL_H
#define PD_SRC_EVAL_H
#endif
