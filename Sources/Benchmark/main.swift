print("zephir-models-bench: not written yet")
