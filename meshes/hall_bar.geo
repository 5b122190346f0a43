// Hall bar: channel 12 um x 2 um along x, two arm pairs at x = 4 and 8 um
// (arm width 0.5 um, arm length 1.5 um). Coordinates in metres.
// Tags (physical curves): source (x = 0), drain (x = 12 um), probe_1_top,
// probe_1_bottom, probe_2_top, probe_2_bottom (arm ends), edge (all other
// boundary). Regions (physical surfaces): channel, arms.
// Element size: edge_size next to the boundary, growing to size in the bulk;
// override with  python meshes/generate.py --edge-size 1e-8
DefineConstant[ edge_size = {40e-9, Name "edge_size"}, size = {250e-9, Name "size"} ];
u = 1e-6;
Point(1) = {0, -1*u, 0};      Point(2) = {3.75*u, -1*u, 0};  Point(3) = {4.25*u, -1*u, 0};
Point(4) = {7.75*u, -1*u, 0}; Point(5) = {8.25*u, -1*u, 0};  Point(6) = {12*u, -1*u, 0};
Point(7) = {12*u, 1*u, 0};    Point(8) = {8.25*u, 1*u, 0};   Point(9) = {7.75*u, 1*u, 0};
Point(10) = {4.25*u, 1*u, 0}; Point(11) = {3.75*u, 1*u, 0};  Point(12) = {0, 1*u, 0};
Point(13) = {3.75*u, -2.5*u, 0}; Point(14) = {4.25*u, -2.5*u, 0};
Point(15) = {7.75*u, -2.5*u, 0}; Point(16) = {8.25*u, -2.5*u, 0};
Point(17) = {8.25*u, 2.5*u, 0};  Point(18) = {7.75*u, 2.5*u, 0};
Point(19) = {4.25*u, 2.5*u, 0};  Point(20) = {3.75*u, 2.5*u, 0};
For k In {1:11}
  Line(k) = {k, k+1};
EndFor
Line(12) = {12, 1};
Line(13) = {2, 13}; Line(14) = {13, 14}; Line(15) = {14, 3};
Line(16) = {4, 15}; Line(17) = {15, 16}; Line(18) = {16, 5};
Line(19) = {8, 17}; Line(20) = {17, 18}; Line(21) = {18, 9};
Line(22) = {10, 19}; Line(23) = {19, 20}; Line(24) = {20, 11};
Curve Loop(1) = {1:12};             Plane Surface(1) = {1};
Curve Loop(2) = {13, 14, 15, -2};   Plane Surface(2) = {2};
Curve Loop(3) = {16, 17, 18, -4};   Plane Surface(3) = {3};
Curve Loop(4) = {19, 20, 21, -8};   Plane Surface(4) = {4};
Curve Loop(5) = {22, 23, 24, -10};  Plane Surface(5) = {5};
Physical Curve("source") = {12};
Physical Curve("drain") = {6};
Physical Curve("probe_1_bottom") = {14};
Physical Curve("probe_2_bottom") = {17};
Physical Curve("probe_2_top") = {20};
Physical Curve("probe_1_top") = {23};
Physical Curve("edge") = {1, 3, 5, 7, 9, 11, 13, 15, 16, 18, 19, 21, 22, 24};
Physical Surface("channel") = {1};
Physical Surface("arms") = {2, 3, 4, 5};
Field[1] = Distance;
Field[1].CurvesList = {1, 3, 5, 6, 7, 9, 11, 12, 13:24};
Field[1].Sampling = 200;
Field[2] = Threshold;
Field[2].InField = 1;
Field[2].SizeMin = 0.7 * edge_size;
Field[2].SizeMax = size;
Field[2].DistMin = 6 * edge_size;
Field[2].DistMax = 6 * edge_size + (size - 0.7 * edge_size) / 0.15;
Background Field = 2;
Mesh.MeshSizeExtendFromBoundary = 0;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
Mesh.Algorithm = 6;
