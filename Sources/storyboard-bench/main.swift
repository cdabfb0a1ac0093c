print("storyboard-bench: see BENCHMARKS.md")
