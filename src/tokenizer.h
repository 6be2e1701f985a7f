/* tokenizer.h (stub) */
#ifndef PD_SRC_TOKENIZER_H
#define PD_SRC_TOKENIZER_H
#endif
