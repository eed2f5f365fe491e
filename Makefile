# The course's front door. Every target prints the raw commands it runs;
# the README lists them too, for anyone without make.
#
#   make lab     set up (first time only) and open JupyterLab on notebooks/
#   make test    set up (first time only) and run the whole test suite
#   make slides  build the static reveal.js decks in slides/ from the notebooks
#   make data    fetch and verify Fashion-MNIST (Debian's copy, or a download)
#   make spread  measure every notebook quantity on seeds 0-9 (and 0-2 with other numerics), store
#                it in notebooks/course/spread.json and README's tables (resumes if stopped)
#   make bench   time each notebook and its longest cell against compiled Keras
#   make mutants put realistic bugs into copies of the course; check each is caught
#   (spread, bench and mutants take minutes each: README's tables say how long they took)
#   make readme  rewrite README's generated tables (checks, printed numbers, mutants, speed)
#   make handout write handout/: the course without the exercises' solutions
#   make publish REPO=https://github.com/you/mlp-course   set your copy's address
#                in both notebooks and the README's Colab/Kaggle/Binder links
#   make clean   remove the .venv and build caches (never notebooks, data or handout/)

PYTHON ?= python3
# An active conda env (other than base) is used as it is; otherwise a local .venv.
ifneq ($(filter-out base,$(CONDA_DEFAULT_ENV)),)
ENV := $(CONDA_PREFIX)
else
ENV := .venv
endif
BIN := $(ENV)/bin
INSTALLED := $(ENV)/.mlp-course-installed

# A virtual environment cannot move: its programs (bin/jupyter, ...) name the folder it was
# made in. If the course folder has moved since, every target but clean stops and says so.
MADE_FOR := $(filter %/python %/python3,$(firstword $(shell sed -n '1s/^\#!//p' $(BIN)/jupyter 2>/dev/null)))
ifneq ($(MADE_FOR),)
ifneq ($(realpath $(dir $(MADE_FOR))),$(realpath $(BIN)))
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(error $(ENV) was made in $(patsubst %/bin/,%,$(dir $(MADE_FOR))), and the course folder has moved since; a virtual environment cannot move. Run `make clean && make lab`: it rebuilds $(ENV), and keeps your notebooks, data and handout/)
endif
endif
endif

# uv installs requirements.txt's pins as pip would, in parallel, and compiles them on every
# core; pip (which reads pip.conf's mirrors) is the fallback if uv cannot reach the index.
UV := uv~=0.13.0

REPO ?=
BRANCH ?= main

.PHONY: install lab test slides data spread bench mutants readme handout publish clean
.DEFAULT_GOAL := lab

install: $(INSTALLED)

$(INSTALLED): requirements.txt .ci/course_env.py
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) .ci/check_python.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(ENV)
	$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/python -m pip install -q '$(UV)' || true
	$(BIN)/python -m uv pip install --python $(BIN)/python --compile-bytecode -r requirements.txt \
	    || { echo "uv could not install requirements.txt (above); pip installs it instead"; \
	         $(BIN)/python -m pip install -r requirements.txt; }
	$(BIN)/python .ci/course_env.py
	-$(BIN)/python slides/build.py --fetch
	touch $@

data: install
	PYTHONPATH=notebooks $(BIN)/python -m course.data

lab: data
	$(BIN)/jupyter trust notebooks/*.ipynb
	$(BIN)/jupyter lab --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) notebooks/

test: data
	$(BIN)/python -m ruff check notebooks tests slides tools .ci
	$(BIN)/python -m pytest $(PYTEST_ARGS)

spread: data
	$(BIN)/python tools/spread.py

bench: data
	$(BIN)/python tools/bench.py

mutants: data
	$(BIN)/python tools/mutants.py

readme: install
	$(BIN)/python tools/readme.py

handout: install
	$(BIN)/python tools/solutions.py handout handout

slides: install
	$(BIN)/python slides/build.py

publish: install
	@test -n "$(REPO)" || { echo "usage: make publish REPO=https://github.com/you/mlp-course [BRANCH=main]"; exit 2; }
	$(BIN)/python tools/publish.py "$(REPO)" "$(BRANCH)"
	$(BIN)/python slides/build.py

clean:
	rm -rf .venv .pytest_cache .ruff_cache slides/vendor slides/screenshots build .spread-cache
