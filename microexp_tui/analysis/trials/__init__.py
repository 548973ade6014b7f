"""Trial-level facial-EMG responses: epochs around stimulus onsets, per trial, muscle and bin.

The tables researchers take to R and SPSS (Fridlund & Cacioppo 1986; van Boxtel 2010;
Rutkowska et al. 2024): the mean envelope in a response window minus a pre-stimulus
baseline, in time bins, standardised within participant and muscle, with exclusions and the
reason for each.
"""
