/* ui.h (stub) */
#ifndef PD_UI_UI_H
#define PD_UI_UI_H
#endif
