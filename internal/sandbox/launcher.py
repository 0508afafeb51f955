"""Start moto's server with sfprobe's fixes; arguments are moto.server's (-H HOST -p PORT)."""
import copy
import os
import shutil
import sys
import threading

try:
    import moto.server
    from moto.stepfunctions import models as sfn_models
except ImportError as err:
    sys.stderr.write("sfprobe launcher: cannot import moto: %s\n" % err)
    sys.exit(3)


def _deepcopy(self, memo):
    # moto 5.2.1 deep-copies the state machine (or version) on every
    # StartExecution; the copy reaches the earlier executions (thread locks)
    # and fails from the second execution on. Share the backend, start with
    # no executions, deep-copy the rest.
    clone = self.__class__.__new__(self.__class__)
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        if name == "backend":
            setattr(clone, name, value)
        elif name == "executions":
            setattr(clone, name, [])
        else:
            setattr(clone, name, copy.deepcopy(value, memo))
    return clone


for _cls in (sfn_models.StateMachine, getattr(sfn_models, "StateMachineVersion", None)):
    if _cls is not None:
        _cls.__deepcopy__ = _deepcopy


def _exit_when_parent_goes():
    # The parent holds our stdin open; EOF means it stopped or died.
    while sys.stdin.buffer.read(4096):
        pass
    if os.environ.get("SFPROBE_CLEANUP_DIR"):
        shutil.rmtree(os.environ["SFPROBE_CLEANUP_DIR"], ignore_errors=True)
    os._exit(0)


if os.environ.get("SFPROBE_EXIT_ON_STDIN_EOF") == "1":
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()

moto.server.main(sys.argv[1:])
