/* Running gnuplot on the scripts in plots/ (for `faultbench report`).
 *
 * gnuplot is found in PATH (or $FAULTBENCH_GNUPLOT), the scripts here or
 * beside the executable; the PNG (pngcairo, else png) and SVG terminals are
 * probed once. A plot fails when gnuplot exits non-zero or prints anything
 * on stderr but font-configuration chatter: a warning about bad data is a
 * broken plot. */
#ifndef FB_GNUPLOT_H
#define FB_GNUPLOT_H

#include <limits.h>
#include <stdbool.h>

#include "fb.h"

struct gnuplot {
	char bin[PATH_MAX];      /* "" when no plot can be made (note says why) */
	char dir[PATH_MAX];      /* the directory of the *.gp scripts */
	char png_term[16];       /* "pngcairo", "png", or "" */
	bool svg;
	char note[512];          /* why there are no plots, or no PNGs */
};

void gnuplot_init(struct gnuplot *g);
/* dir/<script>.gp with termkind, outfile, plotdir and datafile set before
 * vars ("name=value; ..."), once per terminal: out.png and out.svg. Returns
 * the number of images made, or -EIO with gnuplot's complaint in err. */
int gnuplot_plot(const struct gnuplot *g, const char *script, const char *out, const char *datafile,
		 const char *vars, struct fb_err *err);
/* A gnuplot string literal ('...', quotes doubled). Caller frees; NULL on ENOMEM. */
char *gp_quote(const char *s);

#endif
