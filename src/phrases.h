/* phrases.h (stub) */
#ifndef PD_SRC_PHRASES_H
#define PD_SRC_PHRASES_H
#endif
