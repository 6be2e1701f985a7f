/* sampler.h (stub) */
#ifndef PD_SRC_SAMPLER_H
#define PD_SRC_SAMPLER_H
#endif
