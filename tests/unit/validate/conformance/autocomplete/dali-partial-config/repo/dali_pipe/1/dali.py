import nvidia.dali as dali
