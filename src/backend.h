/* backend.h (stub) */
#ifndef PD_SRC_BACKEND_H
#define PD_SRC_BACKEND_H
#endif
