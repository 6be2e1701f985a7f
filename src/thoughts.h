/* thoughts.h (stub) */
#ifndef PD_SRC_THOUGHTS_H
#define PD_SRC_THOUGHTS_H
#endif
