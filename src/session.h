/* session.h (stub) */
#ifndef PD_SRC_SESSION_H
#define PD_SRC_SESSION_H
#endif
