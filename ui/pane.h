/* pane.h (stub) */
#ifndef PD_UI_PANE_H
#define PD_UI_PANE_H
#endif
