# rnncourse: `make book` and `make test` are the two commands of the README.
#
# Variables you may set:
#   PYTHON      the Python used to create the environment (default: python3, needs >= 3.10)
#   VENV        the environment to create or reuse (default: .venv; may be an existing
#               conda environment, e.g. VENV=$CONDA_PREFIX)
#   VENV_FLAGS  extra flags for `python -m venv` (e.g. --system-site-packages to reuse a
#               PyTorch installed system-wide)
#   TORCH       what `pip install` is given when the environment has no PyTorch yet
#               (default: torch; e.g. TORCH=torch==2.13.0, or
#               TORCH="torch --index-url https://download.pytorch.org/whl/cpu")
#   PYTEST_ARGS extra arguments for pytest (e.g. PYTEST_ARGS="-k lstm")
#   LAB_ARGS    extra arguments for JupyterLab (e.g. LAB_ARGS="--no-browser --port 8899")
#   WORK        your own copy of the lessons, written by `rnncourse start` (default: work)

PYTHON     ?= python3
VENV       ?= .venv
VENV_FLAGS ?=
TORCH      ?= torch
PYTEST_ARGS ?=
LAB_ARGS ?=
WORK     ?= work
# JupyterLab refuses to run as root (containers) without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

BIN   := $(VENV)/bin
PY    := $(BIN)/python
STAMP := $(VENV)/.rnncourse-installed
# Written only when `make` creates the environment itself: distclean deletes nothing else.
MADE  := $(VENV)/.rnncourse-created-by-make

LESSONS_MD := $(sort $(wildcard lessons/[0-9][0-9]_*.md))
LESSONS_NB := $(LESSONS_MD:.md=.ipynb)

.PHONY: help install book test unit nbval notebooks lab clean distclean

help:
	@echo "make book   build the executed HTML book into book/_build/html"
	@echo "make test   run the tests, and every lesson's exercises with the reference solutions"
	@echo "make lab    copy the lessons to $(WORK)/ (never overwriting your answers) and open it"
	@echo "make clean  remove built output (make distclean also removes a $(VENV) that make created)"

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "rnncourse needs Python >= 3.10, this is " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)
	@touch $(MADE)

# PyTorch first, and only when the environment has none: a learner's CUDA build, or CI's
# CPU build, is kept; `torch>=2.1` in pyproject.toml is then already satisfied.
$(STAMP): pyproject.toml | $(PY)
	@$(PY) -c 'import torch' 2>/dev/null \
	  && echo "Using the PyTorch already installed: $$($(PY) -c 'import torch; print(torch.__version__)')" \
	  || $(PY) -m pip install $(TORCH)
	$(PY) -m pip install -e ".[dev]"
	@touch $@

install: $(STAMP)

lessons/%.ipynb: lessons/%.md $(STAMP)
	$(BIN)/jupytext --to ipynb --output $@ $<

# The paired notebooks are generated one way, from the .md sources (never --sync).
notebooks: $(LESSONS_NB)

book: $(STAMP)
	RNNCOURSE_CONTEXT=book $(BIN)/jupyter-book build . --path-output book --builder html -W -n --keep-going
	@echo "The book is in book/_build/html: open book/_build/html/index.html in a browser."

# Each lesson runs at most twice in `make test` + `make book`: the book build executes every
# lesson as shipped (stubs in place) and fails on any error or stderr output (-W); the tests
# run each lesson with the reference solutions filled in, up to its last exercise check.
test: $(STAMP)
	$(PY) -m pytest tests -p no:cacheprovider $(PYTEST_ARGS)

# Optional, not part of `make test` or CI (the book build covers it): every lesson as
# shipped, under nbval.
nbval: $(STAMP) notebooks
	$(PY) -m pytest $(LESSONS_NB) --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:cacheprovider $(PYTEST_ARGS)

# The quick subset: the tests not marked slow (no lesson is executed).
unit: $(STAMP)
	$(PY) -m pytest tests -m "not slow" -p no:cacheprovider $(PYTEST_ARGS)

# JupyterLab opens your copy of the lessons, $(WORK)/ (git-ignored): `rnncourse start` writes
# each lesson as a notebook there and never overwrites one you have; `rnncourse reset NN`
# restores a fresh copy (keeping the old one in $(WORK)/backup/). jupyterlab-myst renders
# the lessons' MyST maths and directives.
# The settings file also makes JupyterLab open a `.md` lesson as a notebook (jupytext), for
# those who edit the sources (`.venv/bin/jupyter lab lessons/`); it stays inside $(VENV).
lab: $(STAMP)
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@printf '{\n  "@jupyterlab/docmanager-extension:plugin": {\n    "defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}\n  },\n  "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}\n}\n' > $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/rnncourse start $(WORK)
	$(BIN)/jupyter lab --notebook-dir=$(WORK) $(ROOT_FLAG) $(LAB_ARGS)

clean:
	rm -rf book/_build _build build .pytest_cache .jupyter_cache lessons/*.ipynb lessons/.ipynb_checkpoints
	find . -name __pycache__ -type d -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

# Removes $(VENV) only if `make` created it (an existing conda environment given as VENV is
# never deleted); your copy of the lessons in $(WORK)/ is kept.
distclean: clean
	@if [ -f $(MADE) ]; then echo "rm -rf $(VENV)"; rm -rf $(VENV); \
	elif [ -d $(VENV) ]; then echo "Not deleting $(VENV): make did not create it."; fi
	rm -rf *.egg-info build dist
