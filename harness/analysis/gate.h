/* The regression gate: two result sets, configuration by configuration,
 * metric by metric, decided on raw per-repetition samples. */
#ifndef FB_GATE_H
#define FB_GATE_H

int gate_main(int argc, char **argv);
int baseline_main(int argc, char **argv);

#endif
