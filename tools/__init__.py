"""Tools that are not tests: the demo (`make demo`) and the generators of the settings tables
in the taps' READMEs and the Meltano Hub definitions (`make docs`). They may use the tests'
emulator and helpers; neither they nor the tests go into the wheel or the sdist."""
