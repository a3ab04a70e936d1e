// The only door to ncurses. Wide-character API needs these before curses.h;
// macros and C globals that Swift cannot import are wrapped below.
#ifndef CLUSTERDASH_CNCURSES_SHIM_H
#define CLUSTERDASH_CNCURSES_SHIM_H

#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#if __has_include(<ncursesw/curses.h>)
#include <ncursesw/curses.h>
#else
#include <curses.h>
#endif

static inline WINDOW *cd_stdscr(void) { return stdscr; }
static inline int cd_lines(void) { return LINES; }
static inline int cd_cols(void) { return COLS; }
static inline int cd_colors(void) { return COLORS; }
static inline int cd_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t cd_a_normal(void) { return A_NORMAL; }
static inline attr_t cd_a_bold(void) { return A_BOLD; }
static inline attr_t cd_a_dim(void) { return A_DIM; }
static inline attr_t cd_a_reverse(void) { return A_REVERSE; }
static inline attr_t cd_a_underline(void) { return A_UNDERLINE; }
static inline attr_t cd_a_blink(void) { return A_BLINK; }
static inline int cd_key_resize(void) { return KEY_RESIZE; }
static inline int cd_key_code_yes(void) { return KEY_CODE_YES; }
static inline int cd_getmaxy(void) { return getmaxy(stdscr); }
static inline int cd_getmaxx(void) { return getmaxx(stdscr); }

/// Puts one character (a grapheme's scalars, up to 5) with attributes and a colour pair.
static inline int cd_put(int y, int x, const wchar_t *wch, attr_t attrs, int pair) {
    cchar_t cc;
    if (setcchar(&cc, wch, attrs, (short)0, &pair) != OK) {
        return ERR;
    }
    return mvadd_wch(y, x, &cc);
}

/// Reads one key: returns OK (a character), KEY_CODE_YES (a function key) or ERR (none).
static inline int cd_get(wint_t *out) { return get_wch(out); }

#endif
