"""The prose of the similarity report: what each measure, kind of pair and rule means (private; data only).

One table per kind of text, each entry a short name and its sentence, read by the report's page
(:mod:`analysis._report_html`) and, for the kinds of pair, stored in ``report.json``.
"""

__all__ = ["EXPLAIN", "PAIR_KINDS", "START_RULES"]

#: What each measure means: key -> (term, sentence), shown under the table or figure where it appears.
EXPLAIN = {
    "N_D": (
        "N_D",
        "driver nodes, the minimum number of units that need an outside input signal to control the network "
        "(structural controllability, Liu, Slotine & Barabási 2011), found by maximum matching.",
    ),
    "bound": (
        "bound",
        "the width bound n_0 + Σ max(0, n_{l+1} − n_l): the fewest driver nodes any layered network of these "
        "widths can have; random masks sit on it.",
    ),
    "shortfall": ("shortfall", "N_D minus the bound: the driver nodes a trained topology adds."),
    "edge J": ("edge J", "the Jaccard |A ∩ B| / |A ∪ B| of the edge sets of two networks, averaged over the pairs."),
    "chance": (
        "chance",
        "the Jaccard of two independent random masks with the same per-layer densities, d1·d2/(d1+d2−d1·d2) per "
        "block; networks are similar only in as far as they beat it.",
    ),
    "aligned J": (
        "aligned J",
        "the edge Jaccard after matching the hidden units of the two networks layer by layer (Hungarian method on "
        "their sets of incoming units, as NNSTD matches them; outputs kept fixed), since hidden units can be "
        "permuted without changing what a network computes.",
    ),
    "aligned chance": (
        "aligned chance",
        "the aligned Jaccard of random networks with the same per-block edge counts, aligned the same way "
        "(one random network per network, aligned pair by pair): alignment lifts random networks above the raw "
        "chance level.",
    ),
    "NNSTD": (
        "NNSTD",
        "the Neural Network Sparse Topology Distance of Liu et al. (2020), as their code computes it: layer by "
        "layer, the units of one network (hidden and output) are paired with those of the other at least total "
        "normalised edit distance (|A∖B| + |B∖A|) / |A∪B| between their sets of incoming units, and the matched "
        "distances are averaged over a layer's units and then over the layers; a distance, 0 for networks equal "
        "up to a relabelling of their units, lower = more similar.",
    ),
    "NNSTD random": (
        "NNSTD random",
        "the NNSTD of the same random networks as the aligned chance level (one per network, same per-block edge "
        "counts): networks share topology only in as far as their NNSTD is below it.",
    ),
    "node J": (
        "node J",
        "the Jaccard of the sets of surviving, non-isolated units; node chance is that of random sets of units "
        "of the same sizes.",
    ),
    "edges in all": (
        "edges in all",
        "the common subnetwork at min_share = 1; the common subnetwork is the set of edges present in at least a "
        "share min_share of the networks.",
    ),
    "block": (
        "block l → l + 1",
        "the raw edge Jaccard of the edges from layer l to layer l + 1 alone, and its chance level "
        "d1·d2/(d1+d2−d1·d2) from the two densities of that block.",
    ),
    "heatmap": (
        "Jaccard cells",
        "the raw or aligned edge Jaccard of each pair of networks (1 on the diagonal); the red line on the colour "
        "bar marks the mean chance level, stated in the title. Tick labels leave out the part of the labels that "
        "all the networks of a comparison share (their group).",
    ),
    "heatmap nnstd": (
        "NNSTD cells",
        "the NNSTD of each pair of networks (0 on the diagonal, lower = more similar); the red line on the colour "
        "bar marks the mean NNSTD of the random networks.",
    ),
    "pair kinds": (
        "kinds of pair",
        "whether two networks started from one initial topology is read from their checkpoints' initial_topology "
        "fingerprint, else from their seed, layer sizes and epsilon/density (the column says which rule matched); "
        "pairs of one method from one initial topology, and pairs whose start is unknown, are in no kind.",
    ),
    "degrees": (
        "P(K ≥ k)",
        "the share of a layer's units whose degree is at least k (out-degree for the inputs, in-degree for the "
        "other layers).",
    ),
    "input": (
        "input connectivity",
        "each input unit's out-degree, averaged over the networks of a group; the panels share one colour scale, "
        "so one colour is one out-degree.",
    ),
    "styles": (
        "colours and line styles",
        "one colour per group; within a group, one line style per seed (or per network, in table order, where "
        "the seeds do not tell them apart), named in the legend above the panels; the training curves below are "
        "drawn alike.",
    ),
    "power law": (
        "power-law fit",
        "α and xmin of the power law P(k) ∝ k^−α fitted to the total degrees k ≥ xmin of a network's units "
        "(powerlaw package; Clauset, Shalizi & Newman 2009); R is the normalised log-likelihood ratio of the power "
        "law against a lognormal (positive favours the power law) and p its significance; preferred names the "
        "better fit where p < 0.1, else undecided.",
    ),
    "drivers": ("bars and ticks", "the bars are N_D, the black ticks the width bound."),
    "training": (
        "curves",
        "test accuracy and connections after each epoch, from the metrics.json beside each checkpoint.",
    ),
    "common": (
        "common subnetwork",
        "the edges present in at least a share min_share of the networks, for every possible min_share; one "
        "curve per comparison.",
    ),
}


#: The kinds of pair of a comparison: key -> (name on the page, what the kind means).
PAIR_KINDS = {
    "within_method_across_seed": (
        "within method, across seeds",
        "pairs of one group (method) from different initial topologies: do independent runs of one method "
        "converge to the same network?",
    ),
    "across_method_same_initial_topology": (
        "across methods, same initial topology",
        "pairs of different groups (methods) that started from one initial topology (one seed): how much of the "
        "common starting network do different growth rules keep and re-grow alike?",
    ),
    "across_method_across_seed": (
        "across methods, across seeds",
        "pairs of different groups from different initial topologies: how alike different methods' networks are "
        "with nothing shared but the data; compare methods by these, since pairs that share an initial topology "
        "sit above them without the methods converging.",
    ),
}


#: How two networks were found to share (or not) their initial topology: key -> explanation.
START_RULES = {
    "fingerprint": "both checkpoints record an initial_topology fingerprint (sha256 of the run's initial masks and "
    "layer sizes), compared",
    "seed": "a checkpoint records no initial_topology fingerprint: same initial topology means the same meta seed "
    "with equal layer sizes and equal epsilon and density (params)",
}
