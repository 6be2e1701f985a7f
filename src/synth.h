/* synth.h (stub) */
#ifndef PD_SRC_SYNTH_H
#define PD_SRC_SYNTH_H
#endif
