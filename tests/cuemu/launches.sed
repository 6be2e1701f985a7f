# kernel<<<grid, block, shmem, stream>>>(args) -> cuemu_launch((kernel), cuemu::cfg(...))(args)
# (tests/cuemu/cuemu.h; the launches in kernels/ and tests/gpu/ are one line each)
s/([A-Za-z_][A-Za-z0-9_]*(<[^<>;]*>)?)<<<(.*)>>>\(/cuemu_launch((\1), cuemu::cfg(\3))(/
