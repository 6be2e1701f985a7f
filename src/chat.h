/* chat.h (stub) */
#ifndef PD_SRC_CHAT_H
#define PD_SRC_CHAT_H
#endif
