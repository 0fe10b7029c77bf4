"""The kernel provisioner behind the `entitylist-warm` kernelspec (see kernels.py).

jupyter_client finds it through the `jupyter_client.kernel_provisioners` entry point. Kept
apart from kernels.py so that a render with nothing to run never imports jupyter_client.
"""

import asyncio
import os
import select
import signal
import subprocess
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from entitylist.engine import checkpoints, kernels


class ForkedKernel:
    """A kernel the zygote forked, behind the part of Popen's interface a provisioner uses.

    The render is not the kernel's parent, so it watches it through a pidfd: a handle that
    cannot point at another process after the kernel ends.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        """Take hold of a running kernel by its pid."""
        self.pid = pid
        self.returncode: int | None = None
        self._fd: int | None = os.pidfd_open(pid)

    def poll(self) -> int | None:
        """None while the kernel runs; 0 once it ended (its exit status is its parent's)."""
        if self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Block until the kernel has ended."""
        if self._fd is not None:
            if not select.select([self._fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            self._ended()
        return self.returncode or 0

    def _ended(self) -> None:
        """Record the end of the kernel and let go of its handle."""
        self.returncode = 0
        os.close(self._fd)
        self._fd = None

    def send_signal(self, signum: int) -> None:
        """Signal the kernel if it still runs."""
        if self.poll() is None:
            signal.pidfd_send_signal(self._fd, signum)

    def terminate(self) -> None:
        """Ask the kernel to stop."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Stop the kernel now."""
        self.send_signal(signal.SIGKILL)


class WarmProvisioner(LocalProvisioner):
    """Starts a kernel by forking the render's zygote; without one, as LocalProvisioner does."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Ask the pool's zygote for a kernel, or launch an ordinary one."""
        pool = kernels.active()
        env = kwargs.get("env") or dict(os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        launch = checkpoints.launching.get()
        if pool and launch and launch.resume:
            pid = await asyncio.to_thread(pool.resume, cmd, env, cwd, launch)
        elif pool:
            keep = launch.config if launch else None
            pid = await asyncio.to_thread(pool.spawn, cmd, env, cwd, keep)
        else:
            pid = None
        if pid is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        # The child leads its own session (kernels.fork_kernel), as an ordinary kernel does.
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info
