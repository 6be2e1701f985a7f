/* tip.h (stub) */
#ifndef PD_SRC_TIP_H
#define PD_SRC_TIP_H
#endif
