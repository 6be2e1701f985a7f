/* kvcache.h (stub) */
#ifndef PD_SRC_KVCACHE_H
#define PD_SRC_KVCACHE_H
#endif
