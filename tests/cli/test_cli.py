import subprocess
import sys

from gradmethods.cli import main


def test_seed_prints_the_table_for_one_example(capsys):
    assert main(["seed", "--example", "example3"]) == 0
    out = capsys.readouterr().out
    assert "Weight3 after the first update" in out and "0.3269" in out and "0.326860" in out
    assert "9 of 9 figures agree in float32" in out


def test_seed_markdown_has_a_table_row_per_figure(capsys):
    assert main(["seed", "--example", "example1", "--format", "markdown"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert len(lines) == 3 and "0.007176" in lines[2]


def test_bad_input_gives_a_message_and_no_traceback(capsys):
    assert main(["seed", "--example", "example5"]) == 2
    err = capsys.readouterr().err
    assert "'example'" in err and "example4_frozen_biases" in err and "Traceback" not in err


def test_console_entry_point_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "gradmethods", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "seed" in done.stdout
