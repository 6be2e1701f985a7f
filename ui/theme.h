/* theme.h (stub) */
#ifndef PD_UI_THEME_H
#define PD_UI_THEME_H
#endif
