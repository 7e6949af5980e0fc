"""The paper's evaluation as small experiments.

:mod:`.runner` loads each model once and generates every dance that the experiments ask for once,
into a :class:`~.runner.DanceSet` (an explicit container: real takes, unseen songs, model entries,
generations keyed by :class:`~.runner.Request`). Each experiment module has
``requests(dances, ...) -> list[Request]`` (what it needs generated) and
``run(dances, ...) -> dict`` (its table or figure as plain, JSON-able data); none of them generates,
renders a figure or writes a file. :mod:`.writer` turns the results into Markdown and PNG figures.

=========================  ==========================================================================
module                     result
=========================  ==========================================================================
:mod:`.table2_ablation`    Table 2: beat error, JPE, smoothness, FID, genre accuracy, ms/frame per model
:mod:`.table3_stance`      Table 3: symmetry per stance
:mod:`.hgr_feedback`       the full model with and without the online HGR correction, glitch stress test
:mod:`.fig_beat_vs_length` beat alignment error against music length (Fig. 9)
:mod:`.fig_smoothness_vs_length`  mean acceleration against sequence length (Fig. 10)
:mod:`.fig_ssim_psnr`      SSIM / PSNR of rendered frames per genre (Fig. 11)
:mod:`.fig_training`       training curves and time from TensorBoard logs (Fig. 8)
:mod:`.fig_frames`         rendered frames side by side (Fig. 12)
:mod:`.realism3d`          3D set: windowed FID_k / FID_g, diversity and body figures against real dances
:mod:`.beat_songs`         3D set: beat-align score, error, tempo and pass per unseen song
=========================  ==========================================================================

:mod:`.expectations` checks the paper's expectations on the results (no DanceSet: numbers only).

``dancegen report`` (:mod:`dancegen.evaluate.report`) composes all of them; ``dancegen evaluate``
(:mod:`dancegen.evaluate.quality`) uses Table 2's, Table 3's and the SSIM/PSNR module for one model.
"""
