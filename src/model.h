/* model.h (stub) */
#ifndef PD_SRC_MODEL_H
#define PD_SRC_MODEL_H
#endif
