"""Questions, grading, the ask loop, review and progress.

The package is also the API's `tutor.quiz(problem, answers, ...)` (`tutor.api.quiz`): a
package and a function cannot share the name `tutor.quiz` otherwise, since importing any
`tutor.quiz.*` module binds the package to it.
"""

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from tutor.api import quiz

        return quiz(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
